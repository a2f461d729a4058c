//! `serve --dev`: the first person to sign in while there is no admin becomes one, audited as
//! granted by the development mode, and the home page says why; never outside `--dev`.

use crate::both_backends;
use crate::helpers::*;

async fn dev_app(backend: Backend) -> TestApp {
    TestApp::spawn_with(
        backend,
        TestOptions {
            dev_mode: true,
            ..Default::default()
        },
    )
    .await
}

const SAYS: &str = "first to sign in to this development server";

both_backends!(
    dev_mode_makes_the_first_sign_in_an_admin,
    |backend| async move {
        let app = dev_app(backend).await;
        let first = app.signed_in("first@example.com", "First").await;
        assert_eq!(first.me().await["role"], "admin");
        assert!(first.get_text("/").await.contains(SAYS));
        assert_eq!(first.get("/admin/users").await.status().as_u16(), 200);

        let second = app.signed_in("second@example.com", "Second").await;
        assert_eq!(second.me().await["role"], "user", "only the first");
        assert!(!second.get_text("/").await.contains(SAYS));

        let grants: Vec<_> = app
            .audit_rows()
            .into_iter()
            .filter(|r| r.0 == "promote")
            .collect();
        assert_eq!(grants.len(), 1, "{grants:?}");
        assert_eq!(grants[0].1, "development mode");
        assert_eq!(grants[0].2.as_deref(), Some("first@example.com"));
        app.stop().await;
    }
);

both_backends!(
    concurrent_first_sign_ins_make_one_dev_admin,
    |backend| async move {
        let app = dev_app(backend).await;
        let mut callbacks = Vec::new();
        for i in 0..8 {
            let b = app.new_browser();
            let callback = b.consented(&format!("p{i}@example.com"), "P").await;
            callbacks.push((b, callback));
        }
        let mut set = tokio::task::JoinSet::new();
        for (b, callback) in callbacks {
            set.spawn(async move { b.get(&callback).await.status().as_u16() });
        }
        let statuses: Vec<u16> = set.join_all().await;
        assert_eq!(statuses, vec![303; 8]);
        let admins = (0..8)
            .filter(|i| app.user_state(&format!("p{i}@example.com")).0 == "admin")
            .count();
        assert_eq!(
            admins, 1,
            "exactly one of the concurrent first sign-ins wins"
        );
        app.stop().await;
    }
);

both_backends!(
    outside_dev_mode_the_first_sign_in_is_not_an_admin,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let first = app.signed_in("first@example.com", "First").await;
        assert_eq!(first.me().await["role"], "user");
        assert!(!first.get_text("/").await.contains(SAYS));
        assert!(app.audit_rows().iter().all(|r| r.0 != "promote"));
        app.stop().await;
    }
);
