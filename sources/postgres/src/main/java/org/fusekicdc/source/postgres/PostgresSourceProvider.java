package org.fusekicdc.source.postgres;

import org.fusekicdc.core.source.DeclaredSourceProvider;

/** {@code cdc:PostgresSource}: a PostgreSQL database's changes through the Debezium embedded engine (pgoutput). */
public final class PostgresSourceProvider extends DeclaredSourceProvider {
    public PostgresSourceProvider() {
        super("PostgresSource", PostgresSourceConfig.OPTIONS, context -> new PostgresSource(context, PostgresSourceConfig.from(context)));
    }
}
