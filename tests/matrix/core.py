from . import Row

ROWS = [
    Row("home", "anon", 302),
    *[Row("home", r, 200) for r in ("rep", "manager", "analyst", "admin", "data_steward", "finance", "b_admin")],
    Row("login", "anon", 200),
    Row("login", "rep", 302),  # already signed in
    Row("profile", "anon", 302),
    Row("profile", "rep", 200),
    Row("password_change", "anon", 302),
    Row("password_change", "rep", 200),
    Row("password_reset", "anon", 200),
]

ROWS += [Row("health", "anon", 200)]
