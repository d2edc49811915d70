/* sqlite3 (Debian 12's libsqlite3, static) with the default VFS — POSIX
 * file locks, fsync/fdatasync — and PRAGMA synchronous=FULL: a table
 * created, 20,000 rows inserted in transactions, REAL arithmetic,
 * aggregates, an index, a join, an update rolled back and one committed.
 * Prints the query results. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int print_row(void *ctx, int n, char **v, char **names)
{
	(void)ctx;
	(void)names;
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "|" : "", v[i] ? v[i] : "NULL");
	printf("\n");
	return 0;
}

static void run(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
		printf("error: %s (%s)\n", err, sql);
		sqlite3_free(err);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "work.db";
	remove(path);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		printf("cannot open %s\n", path);
		return 1;
	}
	run(db, "PRAGMA synchronous=FULL");
	run(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, price REAL)");
	run(db, "CREATE TABLE cat(qty INTEGER PRIMARY KEY, label TEXT)");
	sqlite3_stmt *st;
	for (int batch = 0; batch < 4; batch++) {
		run(db, "BEGIN");
		sqlite3_prepare_v2(db, "INSERT INTO t(name, qty, price) VALUES(?, ?, ?)", -1, &st, NULL);
		for (int i = 0; i < 5000; i++) {
			int n = batch * 5000 + i;
			char name[32];
			snprintf(name, sizeof name, "item%05d", (n * 7919) % 20000);
			sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(st, 2, n % 97);
			sqlite3_bind_double(st, 3, (n % 1000) * 0.25 + 0.1);
			sqlite3_step(st);
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
		run(db, "COMMIT");
	}
	run(db, "INSERT INTO cat SELECT DISTINCT qty, 'q' || qty FROM t");
	run(db, "SELECT count(*), sum(qty), round(sum(price), 2), round(avg(price), 6), min(name), max(name) FROM t");
	run(db, "SELECT qty, count(*), round(sum(price * qty), 3) FROM t GROUP BY qty ORDER BY 3 DESC LIMIT 5");
	run(db, "CREATE INDEX t_name ON t(name)");
	run(db, "SELECT id, name, price FROM t WHERE name BETWEEN 'item00100' AND 'item00104' ORDER BY name");
	run(db, "SELECT c.label, round(avg(t.price), 4) FROM t JOIN cat c USING(qty) WHERE t.qty < 3 GROUP BY c.label");
	run(db, "BEGIN; UPDATE t SET price = price * 2; ROLLBACK");
	run(db, "SELECT round(sum(price), 2) FROM t");
	run(db, "BEGIN; UPDATE t SET price = price * 1.5 WHERE qty % 2 = 0; DELETE FROM t WHERE qty = 13; COMMIT");
	run(db, "SELECT count(*), round(sum(price), 2), total(qty) FROM t");
	run(db, "PRAGMA integrity_check");
	sqlite3_close(db);
	remove(path);
	return 0;
}
