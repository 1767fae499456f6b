package org.fusekicdc.source.mariadb;

import org.fusekicdc.core.source.DeclaredSourceProvider;

/** {@code cdc:MariaDbSource}: a MariaDB or MySQL database's changes (row-format binlog) through the Debezium embedded engine. */
public final class MariaDbSourceProvider extends DeclaredSourceProvider {
    public MariaDbSourceProvider() {
        super("MariaDbSource", MariaDbSourceConfig.OPTIONS, context -> new MariaDbSource(context, MariaDbSourceConfig.from(context)));
    }
}
