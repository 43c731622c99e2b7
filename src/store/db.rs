//! One connection to the ledger, SQLite (rusqlite) or PostgreSQL (rust-postgres),
//! behind one small synchronous interface: the store's queries are written once.
//!
//! Queries use SQLite's numbered placeholders (`?1`); on PostgreSQL they become `$1`
//! (SQLite reads `$1` as a *named* parameter numbered by first appearance, so `?N` is
//! the spelling both can share), and the few SQLite functions the store uses are
//! rewritten to PostgreSQL's: `json_extract(col, '$.a.b')` to `(col::jsonb #>> '{a,b}')`
//! and `instr(` to `strpos(`. What cannot be rewritten (date arithmetic, `json_each`)
//! asks [`Exec::backend`] and says both. Values cross as [`Value`]: integers, reals,
//! text, blobs and NULL, converted to whatever type PostgreSQL inferred for the
//! placeholder or returned for the column, so `bool`/`int4`/`int8` differences between
//! the two engines do not leak into the store.
//!
//! The `postgres` client blocks on its own small runtime and panics when called on a
//! thread that drives async tasks; [`Conn::run`] moves such a call to a scoped thread.

use std::collections::HashMap;
use std::error::Error as StdError;

use postgres::types::{FromSql, IsNull, ToSql, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Postgres(#[from] postgres::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] refinery::Error),
    #[error("query returned no rows")]
    NoRows,
    /// No connection of the pool came free in time ([`crate::store::connections`]).
    #[error("no connection to the ledger: {0}")]
    Pool(String),
    #[error("column {0}: {1}")]
    Type(usize, String),
}

impl DbError {
    /// A unique or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::ConstraintViolation
            }
            DbError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// One value in or out of the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Something that can be bound to a placeholder.
pub trait Param: Sync {
    fn value(&self) -> Value;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i64, i32, i16, u32, u16, u8, u64, usize);

impl Param for bool {
    fn value(&self) -> Value {
        Value::Int(*self as i64)
    }
}
impl Param for f64 {
    fn value(&self) -> Value {
        Value::Real(*self)
    }
}
impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl Param for [u8] {
    fn value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl Param for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value {
        match self {
            Some(v) => v.value(),
            None => Value::Null,
        }
    }
}

/// `params![a, b]`: the placeholders' values, as rusqlite's macro of that name.
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::store::db::Param]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param]
    };
}
pub(crate) use params;

/// Read out of a [`Value`].
pub trait FromValue: Sized {
    fn from_value(v: Value) -> Result<Self, String>;
}

fn int_of(v: Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(i),
        Value::Real(f) if f.fract() == 0.0 => Ok(f as i64),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

macro_rules! int_from {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value) -> Result<Self, String> {
                let i = int_of(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} out of range"))
            }
        }
    )*};
}
int_from!(i64, i32, u32, u16, u64, usize);

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, String> {
        Ok(int_of(v)? != 0)
    }
}
impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self, String> {
        Ok(v)
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                _ => i.to_string().as_str().to_sql(ty, out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_string().as_str().to_sql(ty, out),
            },
            Value::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                Type::FLOAT8 => s.parse::<f64>()?.to_sql(ty, out),
                Type::BYTEA => s.as_bytes().to_sql(ty, out),
                // jsonb's binary form: a version byte, then the text.
                Type::JSONB => {
                    bytes::BufMut::put_u8(out, 1);
                    bytes::BufMut::put_slice(out, s.as_bytes());
                    Ok(IsNull::No)
                }
                Type::JSON => {
                    bytes::BufMut::put_slice(out, s.as_bytes());
                    Ok(IsNull::No)
                }
                _ => s.as_str().to_sql(ty, out),
            },
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)? as i64),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::NUMERIC => {
                return Err(format!(
                    "numeric columns are not read; cast to bigint or double precision ({ty})"
                )
                .into())
            }
            _ => Value::Text(std::str::from_utf8(raw)?.to_string()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A result row of either engine.
pub enum Row<'a, 'b> {
    Sqlite(&'a rusqlite::Row<'b>),
    Pg(&'a postgres::Row),
}

impl Row<'_, '_> {
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        let v = match self {
            Row::Sqlite(r) => {
                use rusqlite::types::ValueRef;
                match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Real(f) => Value::Real(f),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                }
            }
            Row::Pg(r) => r.try_get::<_, Value>(i)?,
        };
        T::from_value(v).map_err(|e| DbError::Type(i, e))
    }
}

/// rusqlite's `optional()`, for [`DbError::NoRows`].
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// SQLite's dialect of a query as PostgreSQL's: placeholders and the few functions
/// the store uses. Text in single quotes is left alone except for `json_extract`'s
/// path, which is rewritten with its call.
pub fn to_postgres(sql: &str) -> String {
    use std::sync::OnceLock;
    static JSON: OnceLock<regex::Regex> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        regex::Regex::new(r"json_extract\(([A-Za-z_][A-Za-z_0-9.]*), '\$\.([A-Za-z_0-9.]+)'\)")
            .expect("valid regex")
    });
    let sql = json.replace_all(sql, |c: &regex::Captures<'_>| {
        format!("(({})::jsonb #>> '{{{}}}')", &c[1], c[2].replace('.', ","))
    });
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quoted = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        match ch {
            '\'' => {
                quoted = !quoted;
                out.push(ch);
            }
            '?' if !quoted => {
                out.push('$');
                // `?N`: the digits follow as they are.
                if !chars.peek().is_some_and(|(_, c)| c.is_ascii_digit()) {
                    // A bare `?` is not used by the store; keep it visible.
                    out.push('?');
                }
            }
            'i' if !quoted && sql[i..].starts_with("instr(") && word_start(&sql, i) => {
                out.push_str("strpos(");
                for _ in 0.."nstr(".len() {
                    chars.next();
                }
            }
            _ => out.push(ch),
        }
    }
    out
}

fn word_start(s: &str, i: usize) -> bool {
    i == 0 || !s.as_bytes()[i - 1].is_ascii_alphanumeric() && s.as_bytes()[i - 1] != b'_'
}

/// The statements prepared on one PostgreSQL connection, by their SQLite text.
#[derive(Default)]
pub struct PgCache {
    statements: HashMap<String, postgres::Statement>,
}

/// A PostgreSQL connection and its prepared statements.
pub struct PgConn {
    client: Option<postgres::Client>,
    cache: PgCache,
}

impl PgConn {
    pub fn new(client: postgres::Client, cache: PgCache) -> PgConn {
        PgConn {
            client: Some(client),
            cache,
        }
    }

    fn parts(&mut self) -> (&mut postgres::Client, &mut PgCache) {
        (
            self.client.as_mut().expect("open until dropped"),
            &mut self.cache,
        )
    }
}

impl Drop for PgConn {
    /// Closing blocks on the client's runtime too: off the async threads.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::spawn(move || drop(client)).join();
            }
        }
    }
}

/// A connection to the ledger.
pub enum Conn {
    Sqlite(rusqlite::Connection),
    /// Boxed: its prepared-statement cache makes it several times a SQLite handle.
    Pg(Box<PgConn>),
}

/// A transaction on a [`Conn`]; rolled back when dropped without [`Tx::commit`].
pub enum Tx<'a> {
    Sqlite(rusqlite::Transaction<'a>),
    Pg(postgres::Transaction<'a>, &'a mut PgCache),
}

/// What both a connection and a transaction do.
pub trait Exec {
    fn backend(&self) -> Backend;

    /// Run `sql` once per result row with `f`.
    fn query_map<T, F>(&mut self, sql: &str, params: &[&dyn Param], f: F) -> Result<Vec<T>>
    where
        F: FnMut(&Row<'_, '_>) -> Result<T>;

    /// Rows changed.
    fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> Result<usize>;

    /// Several statements without parameters.
    fn execute_batch(&mut self, sql: &str) -> Result<()>;

    /// The first row, or [`DbError::NoRows`].
    fn query_row<T, F>(&mut self, sql: &str, params: &[&dyn Param], f: F) -> Result<T>
    where
        F: FnOnce(&Row<'_, '_>) -> Result<T>,
    {
        let mut f = Some(f);
        let rows = self.query_map(sql, params, |r| match f.take() {
            Some(f) => f(r).map(Some),
            None => Ok(None),
        })?;
        match rows.into_iter().next() {
            Some(Some(v)) => Ok(v),
            _ => Err(DbError::NoRows),
        }
    }
}

fn sqlite_query<T, F>(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[&dyn Param],
    mut f: F,
) -> Result<Vec<T>>
where
    F: FnMut(&Row<'_, '_>) -> Result<T>,
{
    let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(f(&Row::Sqlite(r))?);
    }
    Ok(out)
}

fn sqlite_execute(c: &rusqlite::Connection, sql: &str, params: &[&dyn Param]) -> Result<usize> {
    let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
    let mut st = c.prepare_cached(sql)?;
    Ok(st.execute(rusqlite::params_from_iter(values.iter()))?)
}

/// The prepared statement of `sql`, prepared once per connection. PostgreSQL cannot
/// infer the type of a placeholder first met in `?N IS NULL` (the store's optional
/// filters), so those are declared `text`; a nullable number is written
/// `CAST(?N AS BIGINT) IS NULL`. The others are left for the server to infer.
fn pg_statement<C: postgres::GenericClient>(
    c: &mut C,
    cache: &mut PgCache,
    sql: &str,
    values: &[Value],
) -> Result<postgres::Statement> {
    if let Some(st) = cache.statements.get(sql) {
        return Ok(st.clone());
    }
    let text = to_postgres(sql);
    // `$1 IS NULL` is not part of `$11 IS NULL`.
    let nullable = |n: usize| text.contains(&format!("${n} IS NULL"));
    let types: Vec<Type> = (1..=values.len())
        .map(|n| match nullable(n) {
            true => Type::TEXT,
            false => Type::UNKNOWN,
        })
        .collect();
    let st = if types.iter().any(|t| *t != Type::UNKNOWN) {
        c.prepare_typed(&text, &types)?
    } else {
        c.prepare(&text)?
    };
    cache.statements.insert(sql.to_string(), st.clone());
    Ok(st)
}

fn pg_query<C: postgres::GenericClient, T, F>(
    c: &mut C,
    cache: &mut PgCache,
    sql: &str,
    params: &[&dyn Param],
    mut f: F,
) -> Result<Vec<T>>
where
    F: FnMut(&Row<'_, '_>) -> Result<T>,
{
    let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
    let st = pg_statement(c, cache, sql, &values)?;
    let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    let rows = c.query(&st, &refs)?;
    rows.iter().map(|r| f(&Row::Pg(r))).collect()
}

fn pg_execute<C: postgres::GenericClient>(
    c: &mut C,
    cache: &mut PgCache,
    sql: &str,
    params: &[&dyn Param],
) -> Result<usize> {
    let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
    let st = pg_statement(c, cache, sql, &values)?;
    let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    Ok(c.execute(&st, &refs)? as usize)
}

impl Exec for Conn {
    fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgres,
        }
    }

    fn query_map<T, F>(&mut self, sql: &str, params: &[&dyn Param], f: F) -> Result<Vec<T>>
    where
        F: FnMut(&Row<'_, '_>) -> Result<T>,
    {
        match self {
            Conn::Sqlite(c) => sqlite_query(c, sql, params, f),
            Conn::Pg(p) => {
                let (c, cache) = p.parts();
                pg_query(c, cache, sql, params, f)
            }
        }
    }

    fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        match self {
            Conn::Sqlite(c) => sqlite_execute(c, sql, params),
            Conn::Pg(p) => {
                let (c, cache) = p.parts();
                pg_execute(c, cache, sql, params)
            }
        }
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(p) => Ok(p.parts().0.batch_execute(&to_postgres(sql))?),
        }
    }
}

impl Exec for Tx<'_> {
    fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Pg(..) => Backend::Postgres,
        }
    }

    fn query_map<T, F>(&mut self, sql: &str, params: &[&dyn Param], f: F) -> Result<Vec<T>>
    where
        F: FnMut(&Row<'_, '_>) -> Result<T>,
    {
        match self {
            Tx::Sqlite(c) => sqlite_query(c, sql, params, f),
            Tx::Pg(c, cache) => pg_query(c, cache, sql, params, f),
        }
    }

    fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        match self {
            Tx::Sqlite(c) => sqlite_execute(c, sql, params),
            Tx::Pg(c, cache) => pg_execute(c, cache, sql, params),
        }
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Tx::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Tx::Pg(c, _) => Ok(c.batch_execute(&to_postgres(sql))?),
        }
    }
}

/// The advisory lock every writing transaction on PostgreSQL takes first, so that a
/// check and the write it allows are as one (SQLite's `BEGIN IMMEDIATE`).
pub const WRITERS_LOCK: i64 = 0x6d61_696c_726f_6f6d; // "mailroom"

/// The session advisory lock of the one `mailroom run` on a PostgreSQL ledger.
pub const RUN_LOCK: i64 = 0x6d72_5f72_756e_6e6e; // "mr_runnn"

impl Conn {
    /// A transaction that reads before it decides.
    pub fn transaction(&mut self) -> Result<Tx<'_>> {
        match self {
            Conn::Sqlite(c) => Ok(Tx::Sqlite(c.transaction()?)),
            Conn::Pg(p) => {
                let (c, cache) = p.parts();
                Ok(Tx::Pg(c.transaction()?, cache))
            }
        }
    }

    /// A transaction that writes after a check: writers one at a time, on SQLite by
    /// `BEGIN IMMEDIATE`, on PostgreSQL by a transaction-scoped advisory lock shared
    /// by every process on the database.
    pub fn immediate(&mut self) -> Result<Tx<'_>> {
        match self {
            Conn::Sqlite(c) => Ok(Tx::Sqlite(
                c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            )),
            Conn::Pg(p) => {
                let (c, cache) = p.parts();
                let mut tx = c.transaction()?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITERS_LOCK])?;
                Ok(Tx::Pg(tx, cache))
            }
        }
    }

    /// Whether the server closed this connection (a PostgreSQL restart, a network
    /// fault): the pool then opens another.
    pub fn is_closed(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            Conn::Pg(p) => p.client.as_ref().is_none_or(|c| c.is_closed()),
        }
    }

    /// Run `f` on this connection. The PostgreSQL client cannot block a thread that
    /// drives async tasks, so there it runs on a scoped thread of its own.
    pub fn run<T: Send>(&mut self, f: impl FnOnce(&mut Conn) -> T + Send) -> T {
        if matches!(self, Conn::Pg(_)) && tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| f(self))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
        } else {
            f(self)
        }
    }
}

impl Tx<'_> {
    pub fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => Ok(t.commit()?),
            Tx::Pg(t, _) => Ok(t.commit()?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_functions_are_rewritten_outside_quotes() {
        assert_eq!(
            to_postgres("SELECT '?1', x FROM t WHERE a = ?1 AND b = ?12"),
            "SELECT '?1', x FROM t WHERE a = $1 AND b = $12"
        );
        assert_eq!(
            to_postgres("WHERE json_extract(d.result, '$.fields.total.value') = ?3"),
            "WHERE ((d.result)::jsonb #>> '{fields,total,value}') = $3"
        );
        assert_eq!(
            to_postgres("instr(lower(v), lower(?4)) > 0 AND xinstr(1)"),
            "strpos(lower(v), lower($4)) > 0 AND xinstr(1)"
        );
    }
}
