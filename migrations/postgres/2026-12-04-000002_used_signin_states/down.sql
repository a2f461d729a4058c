DROP TABLE used_signin_states;
