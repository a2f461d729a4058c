//! `signin users seed`: synthetic users for measurements. Owns who they are (names, emails,
//! roles, dates: the `RECIPE`), the batches and the progress lines; `db::seed` writes them.

use super::CliError;
use crate::db::seed::{
    Recipe, SeedUser, analyze, generate_pg, insert_sqlite, with_indexes_rebuilt_pg,
};
use crate::db::{self, DbConn, DbError};
use crate::domain::{Role, Status, random_token};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use std::io::Write;

const FIRST_NAMES: [&str; 40] = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Dennis",
    "Margaret",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Katherine",
    "John",
    "Hedy",
    "Tim",
    "Sophie",
    "Guido",
    "Anita",
    "Bjarne",
    "Joan",
    "Niklaus",
    "Shafi",
    "Leslie",
    "Mary",
    "Robin",
    "Karen",
    "Whitfield",
    "Lynn",
    "Ivan",
    "Carol",
    "Vint",
    "Evelyn",
    "Bob",
    "Jean",
    "Ward",
    "Adele",
    "Peter",
    "Ruth",
    "Yukihiro",
];
const LAST_NAMES: [&str; 50] = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Ritchie",
    "Hamilton",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Rossum",
    "Borg",
    "Stroustrup",
    "Clarke",
    "Wirth",
    "Goldwasser",
    "Lamport",
    "Keller",
    "Milner",
    "Jones",
    "Diffie",
    "Conway",
    "Sutherland",
    "Shaw",
    "Cerf",
    "Boyd",
    "Kahn",
    "Sammet",
    "Cunningham",
    "Goldberg",
    "Naur",
    "Teitelbaum",
    "Matsumoto",
    "Moore",
    "Brooks",
    "Hoare",
    "Backus",
    "Kay",
    "Engelbart",
    "Lee",
    "Martin",
    "Garcia",
    "Nguyen",
];
const DOMAINS: [&str; 4] = ["example.com", "example.org", "mail.test", "corp.test"];

/// Who the synthetic users are: created over the last three years and signed in since; one
/// in a thousand an admin, one in fifty disabled (never an admin: 1000 is a multiple of 50).
pub const RECIPE: Recipe<'static> = Recipe {
    first_names: &FIRST_NAMES,
    last_names: &LAST_NAMES,
    domains: &DOMAINS,
    span: Duration::days(3 * 365),
    admin_every: 1000,
    disabled_every: 50,
    disabled_at: 7,
};

/// The most users one seed may ask for.
const MAX_COUNT: i64 = 100_000_000;

/// A seed of at least this many users on PostgreSQL loads the rows first and builds the
/// secondary indexes afterwards ([`seed_bulk_pg`]).
pub const BULK_SEED_MIN: i64 = 100_000;

/// `users seed --count N`: seeds in batches (each its own transaction, or all in one with the
/// indexes rebuilt at the end for a large seed on PostgreSQL), then refreshes the statistics.
pub(super) fn seed(
    conn: &mut DbConn,
    count: u64,
    now: DateTime<Utc>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let count = i64::try_from(count)
        .ok()
        .filter(|c| *c <= MAX_COUNT)
        .ok_or_else(|| CliError::Refused(format!("--count must be at most {MAX_COUNT}")))?;
    let started = std::time::Instant::now();
    let run: String = random_token(6)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let pg = db::is_postgres(conn);
    let batches = Batches {
        run: &run,
        count,
        size: if pg { 100_000 } else { 10_000 },
        now,
    };
    // Progress is best effort: a closed stderr must not undo the seed.
    let mut progress = |line: &str| {
        let _ = writeln!(err, "{line}");
    };
    if pg && count >= BULK_SEED_MIN {
        with_indexes_rebuilt_pg(conn, &mut progress, |conn, progress| {
            batches.insert(conn, progress)
        })?;
    } else {
        batches.insert(conn, &mut progress)?;
    }
    analyze(conn)?;
    writeln!(
        out,
        "{count} synthetic users seeded in {:.1} s (run {run})",
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// Seeds `count` users on PostgreSQL in one transaction that drops the secondary indexes,
/// inserts the rows in batches of `batch` and builds the indexes again
/// (`db::seed::with_indexes_rebuilt_pg`). `progress` is told the users inserted so far and
/// each index built.
pub fn seed_bulk_pg(
    conn: &mut DbConn,
    run: &str,
    count: i64,
    batch: i64,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(&str),
) -> Result<(), DbError> {
    let batches = Batches {
        run,
        count,
        size: batch,
        now,
    };
    with_indexes_rebuilt_pg(conn, progress, |conn, progress| {
        batches.insert(conn, progress)
    })
}

/// Users `1..=count` of `run` as of `now`, `size` at a time.
struct Batches<'a> {
    run: &'a str,
    count: i64,
    size: i64,
    now: DateTime<Utc>,
}

impl Batches<'_> {
    /// Inserts every batch, each in its own transaction (or savepoint), with a progress line
    /// after each.
    fn insert(&self, conn: &mut DbConn, progress: &mut dyn FnMut(&str)) -> Result<(), DbError> {
        let mut done = 0;
        while done < self.count {
            let n = self.size.min(self.count - done);
            self.insert_one(conn, done + 1, n)?;
            done += n;
            progress(&format!("seeded {done}/{} users", self.count));
        }
        Ok(())
    }

    /// Users `from_n..from_n + n` and their sessions: PostgreSQL makes the rows itself, SQLite
    /// gets them made here.
    fn insert_one(&self, conn: &mut DbConn, from_n: i64, n: i64) -> Result<(), DbError> {
        if db::is_postgres(conn) {
            return generate_pg(conn, &RECIPE, self.run, from_n, n, self.now);
        }
        let mut rng = rand::thread_rng();
        let users: Vec<SeedUser> = (from_n..from_n + n)
            .map(|i| synthetic_user(&RECIPE, self.run, i, self.now, &mut rng))
            .collect();
        insert_sqlite(conn, self.run, &users, self.now)
    }
}

/// User `n` of `run`, as `Recipe` describes it (and as `generate_pg` makes it in SQL).
fn synthetic_user(
    recipe: &Recipe<'_>,
    run: &str,
    n: i64,
    now: DateTime<Utc>,
    rng: &mut impl Rng,
) -> SeedUser {
    let i = n.unsigned_abs() as usize;
    let first = recipe.first_names[i % recipe.first_names.len()];
    let last = recipe.last_names[(i / recipe.first_names.len()) % recipe.last_names.len()];
    let domain = recipe.domains[i % recipe.domains.len()];
    let created = now - Duration::seconds(rng.gen_range(0..recipe.span.num_seconds()));
    let last_login = created + (now - created) * rng.gen_range(0..1000) / 1000;
    SeedUser {
        public_id: format!("u_s{run}-{n}"),
        subject: format!("seed-{run}-{n}"),
        email: format!(
            "{}.{}{n}@{domain}",
            first.to_lowercase(),
            last.to_lowercase().replace('-', "")
        ),
        name: format!("{first} {last}"),
        given_name: first.into(),
        family_name: last.into(),
        role: if n % recipe.admin_every == 0 {
            Role::Admin
        } else {
            Role::User
        },
        status: if n % recipe.disabled_every == recipe.disabled_at {
            Status::Disabled
        } else {
            Status::Active
        },
        created_at: created,
        last_login_at: last_login,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_users_follow_the_recipe() {
        let now = Utc::now();
        let mut rng = rand::thread_rng();
        let u = synthetic_user(&RECIPE, "r1", 1000, now, &mut rng);
        assert_eq!(u.public_id, "u_sr1-1000");
        assert_eq!(u.subject, "seed-r1-1000");
        assert_eq!(u.name, "Ada Milner");
        assert_eq!(u.email, "ada.milner1000@example.com");
        assert_eq!((u.role, u.status), (Role::Admin, Status::Active));
        assert!(u.created_at <= u.last_login_at && u.last_login_at <= now);
        assert!(now - u.created_at <= RECIPE.span);
        let h = synthetic_user(&RECIPE, "r1", 600, now, &mut rng);
        assert_eq!(h.email, "ada.bernerslee600@example.com");
        let d = synthetic_user(&RECIPE, "r1", 57, now, &mut rng);
        assert_eq!(d.email, "guido.turing57@example.org");
        assert_eq!((d.role, d.status), (Role::User, Status::Disabled));
    }
}
