package org.fusekicdc.source.mariadb.internal;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sees the binlog client of the running connector lose its connection and get it back. The
 * client reconnects by itself (its keep-alive thread), so the engine goes on running and says
 * nothing; the connector's streaming metrics (JMX) do say it. Once a second: not
 * {@code Connected} after a disconnect ({@code NumberOfDisconnects}, counted per engine run, so
 * not the snapshot before streaming begins) calls {@link Listener#lost} with why the database
 * cannot be reached (a JDBC connection tried), connected again calls {@link Listener#restored}.
 */
public final class BinlogConnectionWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BinlogConnectionWatch.class);
    private static final long PERIOD_MILLIS = 1000;

    /** What the watch reports, on its own thread. */
    public interface Listener {
        /** The binlog connection is lost; {@code probeError} says why a connection to the database fails, null if one succeeds. */
        void lost(String probeError);

        /** The binlog connection is back. */
        void restored();
    }

    private final ObjectName metrics;
    private final Callable<Connection> connect;
    private final Listener listener;
    private final String name;
    private final MBeanServer beans = ManagementFactory.getPlatformMBeanServer();
    private ScheduledExecutorService timer;
    private boolean lost;

    /**
     * @param topicPrefix the connector's topic prefix (its logical server name, which names its metrics)
     * @param connect     a JDBC connection to the database, to say why it cannot be reached
     * @param name        for the thread and the log: dataset and source
     */
    public BinlogConnectionWatch(String topicPrefix, Callable<Connection> connect, Listener listener, String name) {
        try {
            this.metrics = new ObjectName("debezium.mysql:type=connector-metrics,context=streaming,server=" + topicPrefix + ",*");
        } catch (JMException ex) {
            throw new IllegalArgumentException("topic prefix " + topicPrefix + ": " + ex.getMessage(), ex);
        }
        this.connect = connect;
        this.listener = listener;
        this.name = name;
    }

    public synchronized void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fuseki-cdc-binlog-watch-" + name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            ObjectName n = streamingMetrics();
            if ( n == null )
                return;   // no engine streaming now: the source's supervisor says why
            if ( Boolean.TRUE.equals(beans.getAttribute(n, "Connected")) ) {
                if ( lost ) {
                    lost = false;
                    listener.restored();
                }
            } else if ( beans.getAttribute(n, "NumberOfDisconnects") instanceof Long d && d > 0 ) {
                lost = true;
                listener.lost(probe());
            }
        } catch (JMException ex) {
            // unregistered meanwhile: the engine stopped, the source's supervisor says why
        } catch (RuntimeException ex) {
            LOG.warn("Source {}: watching the binlog connection: {}", name, ex.toString());
        }
    }

    /** The running connector's streaming metrics, null when none is registered (no engine running). */
    private ObjectName streamingMetrics() {
        var names = beans.queryNames(metrics, null);
        return names.isEmpty() ? null : names.iterator().next();
    }

    private String probe() {
        try (Connection c = connect.call()) {
            return null;
        } catch (Exception ex) {
            return ex.getMessage();
        }
    }

    @Override
    public synchronized void close() {
        if ( timer != null )
            timer.shutdownNow();
        timer = null;
    }
}
