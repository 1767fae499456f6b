package org.fusekicdc.source.mariadb.internal;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The JDBC driver the source gives Debezium's MySQL connector ({@code database.jdbc.driver}):
 * MySQL Connector/J with {@link MariaDbStatusStatements} as its query interceptor. Debezium
 * does not pass {@code queryInterceptors} through from its configuration, so the driver adds it.
 */
public final class MariaDbDriver implements Driver {
    private final Driver mysql;

    public MariaDbDriver() throws SQLException {
        this.mysql = new com.mysql.cj.jdbc.Driver();
    }

    @Override
    public Connection connect(String url, Properties info) throws SQLException {
        Properties p = new Properties();
        if ( info != null )
            p.putAll(info);
        p.setProperty("queryInterceptors", MariaDbStatusStatements.class.getName());
        return mysql.connect(url, p);
    }

    @Override
    public boolean acceptsURL(String url) throws SQLException {
        return mysql.acceptsURL(url);
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
        return mysql.getPropertyInfo(url, info);
    }

    @Override
    public int getMajorVersion() {
        return mysql.getMajorVersion();
    }

    @Override
    public int getMinorVersion() {
        return mysql.getMinorVersion();
    }

    @Override
    public boolean jdbcCompliant() {
        return mysql.jdbcCompliant();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return mysql.getParentLogger();
    }
}
