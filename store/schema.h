/* Private to store/: the DDL of each schema version and the merge statements. */
#ifndef MTOK_STORE_SCHEMA_H
#define MTOK_STORE_SCHEMA_H

#include <stddef.h>

/* mtok_store_migrations[v] takes a database from user_version v to v + 1. */
extern const char *const mtok_store_migrations[];
/* Statements run in order, inside one transaction, with the source attached as `src`. */
extern const char *const mtok_store_merge_sql[];
extern const size_t mtok_store_merge_sql_count;

#endif
