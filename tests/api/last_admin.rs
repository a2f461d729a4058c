//! The last-admin rule is decided inside the transaction that changes the role or status
//! (issue 11, item 8): on the target as it is then, not on a copy read before.

use crate::app_test;
use crate::both_backends;
use crate::helpers::*;
use chrono::Utc;
use signin::admin::{Action, Refusal, perform};
use signin::db::audit::Actor;

fn actor(app: &TestApp, id: i64) -> Actor {
    let u = app
        .query(|c| signin::db::users::find_by_id(c, id))
        .unwrap()
        .unwrap();
    Actor::User {
        id: u.id,
        email: u.profile.email,
    }
}

app_test!(
    a_removal_decides_on_the_target_as_it_is_in_the_transaction,
    |app| {
        let t = Utc::now().naive_utc();
        let a = app.insert_user("a@example.com", "A", t, None, "admin", "active");
        let c = app.insert_user("c@example.com", "C", t, None, "user", "active");
        // Read while C is a plain user…
        let stale_c = app
            .query(|conn| signin::db::users::find_by_id(conn, c))
            .unwrap()
            .unwrap();
        // …then C is promoted and demotes A: C is now the only admin.
        let now = Utc::now();
        let r =
            app.query(|conn| perform(conn, &actor(app, a), &stale_c, &Action::Promote, None, now));
        assert!(r.unwrap().unwrap().changed);
        let fresh_a = app
            .query(|conn| signin::db::users::find_by_id(conn, a))
            .unwrap()
            .unwrap();
        let r =
            app.query(|conn| perform(conn, &actor(app, c), &fresh_a, &Action::Demote, None, now));
        assert!(r.unwrap().unwrap().changed);
        // A demotion of C on the stale copy ("not an admin") must still count the admins.
        for action in [Action::Demote, Action::Disable] {
            let r = app.query(|conn| perform(conn, &Actor::Cli, &stale_c, &action, None, now));
            assert_eq!(r.unwrap(), Err(Refusal::LastAdmin), "{action:?}");
        }
        let admins = app.query(|conn| signin::db::roles::count_active_admins(conn).unwrap());
        assert_eq!(admins, 1);
    }
);

both_backends!(
    admins_demoting_each_other_on_stale_copies_leave_one_admin,
    |backend| async move {
        use std::sync::{Arc, Barrier};
        let app = TestApp::spawn(backend).await;
        let t = Utc::now().naive_utc();
        let a = app.insert_user("a@example.com", "A", t, None, "admin", "active");
        let b = app.insert_user("b@example.com", "B", t, None, "admin", "active");
        let rounds = if app.backend == Backend::Postgres {
            60
        } else {
            20
        };
        for round in 0..rounds {
            // Each side reads the other *before* the reset, as a page rendered earlier would:
            // after the previous round one of them looks like a plain user.
            let stale: Vec<_> = [b, a]
                .into_iter()
                .map(|id| {
                    app.query(|c| signin::db::users::find_by_id(c, id))
                        .unwrap()
                        .unwrap()
                })
                .collect();
            app.make_everyone_active_admin();
            let barrier = Arc::new(Barrier::new(2));
            let threads: Vec<_> = [a, b]
                .into_iter()
                .zip(stale)
                .map(|(me, them)| {
                    let pool = app.pool.clone();
                    let barrier = barrier.clone();
                    let me = actor(&app, me);
                    std::thread::spawn(move || {
                        let mut c = pool.get().unwrap();
                        barrier.wait();
                        perform(&mut c, &me, &them, &Action::Demote, None, Utc::now()).unwrap()
                    })
                })
                .collect();
            let results: Vec<_> = threads.into_iter().map(|h| h.join().unwrap()).collect();
            let admins = app.query(|c| signin::db::roles::count_active_admins(c).unwrap());
            assert_eq!(admins, 1, "round {round}: {results:?}");
        }
        app.stop().await;
    }
);
