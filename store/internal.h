/* Private to store/: what the query files share with store.c. */
#ifndef MTOK_STORE_INTERNAL_H
#define MTOK_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

/* The handle's connection. */
sqlite3 *store_sqlite(struct mtok_store *st);
/* Record "PATH: what: sqlite message" on the handle and return MTOK_EDB. */
enum mtok_status store_fail(struct mtok_store *st, const char *what);
/* Prepare, or NULL (message set). */
sqlite3_stmt *store_prep(struct mtok_store *st, const char *sql);
/* Bind a string, or NULL for a NULL pointer. */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Record "PATH: message" on the handle (for not-found and other non-SQLite failures). */
void store_set_errmsg(struct mtok_store *st, const char *fmt, ...) MTOK_PRINTF(2, 3);

#endif
