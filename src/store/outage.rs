//! Which database failures are outages: the disk is full, the file or server is read-only, the
//! disk fails, the server is gone or out of connections. These pass once an operator acts (or by
//! themselves), so callers are told to retry later, with the cause, instead of getting a bare 500.

/// The cause of an outage in plain words, or `None` when `e` is not one (a bug, a constraint, a
/// decoding error: those stay internal errors).
pub(crate) fn reason(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            let kind = match db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                Some(_) => sqlite_kind(&code)?,
                None => postgres_kind(&code)?,
            };
            Some(format!("{kind}: {}", db.message()))
        }
        sqlx::Error::Io(io) => Some(format!("the database cannot be reached: {io}")),
        sqlx::Error::Tls(tls) => Some(format!("the database cannot be reached: {tls}")),
        sqlx::Error::PoolTimedOut => {
            Some("the database did not answer in time: no connection became free or could be opened".into())
        }
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => Some("the database connection is closed".into()),
        _ => None,
    }
}

/// SQLite reports extended result codes; the primary code is the low byte.
fn sqlite_kind(code: &str) -> Option<&'static str> {
    let primary = code.parse::<i32>().ok()? & 0xff;
    Some(match primary {
        // SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR
        13 | 8 | 10 => "the database could not write",
        // SQLITE_CANTOPEN
        14 => "the database could not open its file",
        // SQLITE_BUSY, SQLITE_LOCKED: another process held the lock past the busy timeout.
        5 | 6 => "the database is locked",
        _ => return None,
    })
}

/// PostgreSQL's SQLSTATE classes for resources, connections and read-only servers.
fn postgres_kind(code: &str) -> Option<&'static str> {
    Some(match code {
        // disk_full, io_error
        "53100" | "58030" => "the database could not write",
        // read_only_sql_transaction (a standby, or default_transaction_read_only)
        "25006" => "the database is read-only",
        // admin_shutdown, crash_shutdown, cannot_connect_now
        "57P01" | "57P02" | "57P03" => "the database is restarting",
        c if c.starts_with("53") => "the database is out of resources",
        c if c.starts_with("08") => "the database connection failed",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_by_their_primary_byte() {
        assert_eq!(sqlite_kind("13"), Some("the database could not write"));
        // SQLITE_IOERR_WRITE and SQLITE_READONLY_DBMOVED are extended codes of outages too.
        assert_eq!(sqlite_kind("778"), Some("the database could not write"));
        assert_eq!(sqlite_kind("1032"), Some("the database could not write"));
        assert_eq!(sqlite_kind("5"), Some("the database is locked"));
        // SQLITE_CONSTRAINT_UNIQUE is the caller's business, not an outage.
        assert_eq!(sqlite_kind("2067"), None);
        assert_eq!(sqlite_kind("junk"), None);
    }

    #[test]
    fn postgres_classes() {
        assert_eq!(postgres_kind("53100"), Some("the database could not write"));
        assert_eq!(postgres_kind("53300"), Some("the database is out of resources"));
        assert_eq!(postgres_kind("08006"), Some("the database connection failed"));
        assert_eq!(postgres_kind("25006"), Some("the database is read-only"));
        assert_eq!(postgres_kind("23505"), None);
    }

    #[test]
    fn transport_failures_are_outages_and_bugs_are_not() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(reason(&refused).is_some_and(|r| r.starts_with("the database cannot be reached")));
        assert!(reason(&sqlx::Error::PoolTimedOut).is_some());
        assert_eq!(reason(&sqlx::Error::RowNotFound), None);
        assert_eq!(reason(&sqlx::Error::Protocol("odd".into())), None);
    }
}
