package org.fusekicdc.source.mariadb.internal;

import java.sql.SQLException;
import java.util.Properties;
import java.util.function.Supplier;

import com.mysql.cj.MysqlConnection;
import com.mysql.cj.Query;
import com.mysql.cj.interceptors.QueryInterceptor;
import com.mysql.cj.jdbc.JdbcConnection;
import com.mysql.cj.log.Log;
import com.mysql.cj.protocol.Resultset;
import com.mysql.cj.protocol.ServerSession;

/**
 * Lets Debezium's MySQL connector read MariaDB's binlog status. The connector asks MySQL 8.4's
 * {@code SHOW BINARY LOG STATUS} and, when that fails on a server whose version is 8.4 or later,
 * gives up; MariaDB (version 10 and 11) has the statement under its older name,
 * {@code SHOW MASTER STATUS}, with the same columns. This JDBC query interceptor (Connector/J's
 * {@code queryInterceptors}) answers the one with the other. Debezium's MariaDB connector,
 * which would not need it, is not served by the package registry this project builds from.
 */
public final class MariaDbStatusStatements implements QueryInterceptor {
    private JdbcConnection connection;

    @Override
    public QueryInterceptor init(MysqlConnection conn, Properties props, Log log) {
        this.connection = (JdbcConnection)conn;
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends Resultset> T preProcess(Supplier<String> sql, Query interceptedQuery) {
        String text = sql.get();
        if ( text == null || !text.trim().equalsIgnoreCase("SHOW BINARY LOG STATUS") )
            return null;
        try {
            return (T)connection.createStatement().executeQuery("SHOW MASTER STATUS");
        } catch (SQLException ex) {
            throw new IllegalStateException("SHOW MASTER STATUS failed: " + ex.getMessage(), ex);
        }
    }

    @Override
    public boolean executeTopLevelOnly() {
        return true;
    }

    @Override
    public void destroy() {}

    @Override
    public <T extends Resultset> T postProcess(Supplier<String> sql, Query interceptedQuery, T originalResultSet, ServerSession serverSession) {
        return null;
    }
}
