package org.fusekicdc.streams.app;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.apache.kafka.streams.StreamsConfig;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.streams.query.WallClock;

/**
 * The application's configuration: a properties file, then environment variables
 * {@code FUSEKICDC_STREAMS_<KEY>} (the key upper-cased, dots as underscores, e.g.
 * {@code FUSEKICDC_STREAMS_BOOTSTRAP_SERVERS}) over it. Keys starting {@code fusekicdc.} are
 * the application's own ({@link #OPTIONS}); every other key goes to Kafka Streams as it is,
 * with {@code application.id} and {@code processing.guarantee} defaulted here.
 *
 * @param changeTopic the topic the queries read
 * @param stepTopic   the topic the steps go to
 * @param queries     the continuous queries
 * @param engine      the engine's limits
 * @param wallClock     how windows close without a new commit
 * @param keyPartitions the partitions split queries' work is spread over (0: every query runs per dataset)
 * @param streams       the Kafka Streams properties
 */
public record StreamsAppConfig(String changeTopic, String stepTopic, List<ContinuousQuery> queries, StreamEngineConfig engine, WallClock wallClock,
                               int keyPartitions, Properties streams) {
    /** An option of the application: its key, what a value looks like, its default (null: required) and what it does. */
    public record Key(String name, String type, String defaultValue, String doc) {}

    public static final String ENV_PREFIX = "FUSEKICDC_STREAMS_";

    public static final Key CHANGE_TOPIC = new Key("fusekicdc.change.topic", "topic", null,
        "The change topic a fuseki-cdc Kafka sink writes with cdc:format \"text\" or \"binary\" (cdc:topic of the sink).");
    public static final Key STEP_TOPIC = new Key("fusekicdc.step.topic", "topic", null,
        "Where the steps go, one record per step in the step message format, keyed by the query's name.");
    public static final Key QUERIES = new Key("fusekicdc.queries", "paths, comma-separated", null,
        "Files of RSP-QL continuous queries, one query per file, each starting REGISTER RSTREAM|ISTREAM|DSTREAM <name> AS; "
        + "relative paths are resolved against the properties file's directory. Each query runs over every dataset on the change topic.");
    public static final Key MAX_WINDOW_QUADS = new Key("fusekicdc.max.window.quads", "integer",
        Long.toString(StreamEngineConfig.MAX_WINDOW_QUADS.defaultValue()),
        "As `cdc:maxWindowQuads` in the server: the most quad events one window may hold.");
    public static final Key INCREMENTAL = new Key("fusekicdc.incremental.windows", "boolean",
        Boolean.toString(StreamEngineConfig.INCREMENTAL.defaultValue()),
        "As `cdc:incrementalWindows` in the server: incremental aggregates for queries of an incremental shape.");
    public static final Key WINDOW_CLOSE_DELAY = new Key("fusekicdc.window.close.delay.ms", "integer (ms)",
        Long.toString(WallClock.DEFAULTS.allowedDelay().toMillis()),
        "How long after its commit time a commit may reach the change topic. A time window closes without a new commit once its end is "
        + "this long past on the wall clock (when the task has read everything on the topic) or behind the newest commit time read (while it "
        + "reads); a commit arriving later than that is taken at the time already reached. Raise it when the sink lags; larger values "
        + "delay steps on a quiet dataset.");
    public static final Key WINDOW_TICK = new Key("fusekicdc.window.tick.ms", "integer (ms)", Long.toString(WallClock.DEFAULTS.tick().toMillis()),
        "How often time windows are closed by the wall clock and the stored commits no window needs any more are let go "
        + "(a Kafka Streams wall-clock punctuation). A task counts as having read everything when it read no record for one tick.");
    public static final Key KEY_PARTITIONS = new Key("fusekicdc.key.partitions", "integer", "4",
        "How many partitions the work of split queries (grouped aggregates over a star in one commit-time window, see kafka-streams.md) "
        + "is spread over, by star subject: the partitions of the keyed repartition topic, and so the most tasks (over all instances) "
        + "that match and aggregate their windows. 0 runs every query whole in its dataset's task. Changing it needs a new application.id.");
    public static final Key BOOTSTRAP_SERVERS = new Key(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "host:port, comma-separated", null,
        "Kafka brokers (a Kafka Streams setting).");
    public static final Key APPLICATION_ID = new Key(StreamsConfig.APPLICATION_ID_CONFIG, "string", "fuseki-cdc-queries",
        "The Kafka Streams application id: instances with the same id share the work; it names the consumer group and the "
        + "state stores' changelog topics. Change it and the application starts from scratch.");
    public static final Key GUARANTEE = new Key(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "exactly_once_v2 | at_least_once", StreamsConfig.EXACTLY_ONCE_V2,
        "exactly_once_v2: each step is written once, also across crashes (brokers 2.5 or later); at_least_once may repeat steps after a "
        + "crash (consumers deduplicate on cdc-id).");

    /** Every option the application reads itself or defaults. */
    public static final List<Key> OPTIONS = List.of(BOOTSTRAP_SERVERS, CHANGE_TOPIC, STEP_TOPIC, QUERIES, APPLICATION_ID, GUARANTEE,
                                                    MAX_WINDOW_QUADS, INCREMENTAL, WINDOW_CLOSE_DELAY, WINDOW_TICK, KEY_PARTITIONS);

    /**
     * The configuration of the properties file (null: none) and the environment.
     *
     * @throws CdcConfigException for a missing required key, a value that is not of its type, or a query file that cannot be read or parsed
     */
    public static StreamsAppConfig load(Path file, Map<String, String> env) {
        Properties p = new Properties();
        if ( file != null ) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException ex) {
                throw new CdcConfigException("Cannot read the configuration file " + file + ": " + ex.getMessage());
            }
        }
        env.forEach((k, v) -> {
            if ( k.startsWith(ENV_PREFIX) && k.length() > ENV_PREFIX.length() )
                p.setProperty(k.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
        });
        Path base = file == null || file.toAbsolutePath().getParent() == null ? Path.of(".") : file.toAbsolutePath().getParent();
        return of(p, base);
    }

    static StreamsAppConfig of(Properties p, Path base) {
        Properties streams = new Properties();
        for ( String k : p.stringPropertyNames() )
            if ( !k.startsWith("fusekicdc.") )
                streams.setProperty(k, p.getProperty(k));
        required(p, BOOTSTRAP_SERVERS);
        streams.putIfAbsent(APPLICATION_ID.name(), APPLICATION_ID.defaultValue());
        streams.putIfAbsent(GUARANTEE.name(), GUARANTEE.defaultValue());
        String guarantee = streams.getProperty(GUARANTEE.name());
        if ( !guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2) && !guarantee.equals(StreamsConfig.AT_LEAST_ONCE) )
            throw problem(GUARANTEE, guarantee, "is not exactly_once_v2 or at_least_once");
        long maxQuads = number(p, MAX_WINDOW_QUADS);
        String incremental = p.getProperty(INCREMENTAL.name(), INCREMENTAL.defaultValue()).trim();
        if ( !incremental.equals("true") && !incremental.equals("false") )
            throw problem(INCREMENTAL, incremental, "is not true or false");
        StreamEngineConfig engine;
        try {
            engine = new StreamEngineConfig(maxQuads, Boolean.parseBoolean(incremental));
        } catch (ContinuousQueryException ex) {
            throw problem(MAX_WINDOW_QUADS, Long.toString(maxQuads), ex.getMessage());
        }
        long delay = number(p, WINDOW_CLOSE_DELAY);
        if ( delay < 0 )
            throw problem(WINDOW_CLOSE_DELAY, Long.toString(delay), "is negative");
        long tick = number(p, WINDOW_TICK);
        if ( tick < 1 )
            throw problem(WINDOW_TICK, Long.toString(tick), "is not at least 1");
        WallClock wallClock = new WallClock(Duration.ofMillis(tick), Duration.ofMillis(delay));
        long keyPartitions = number(p, KEY_PARTITIONS);
        if ( keyPartitions < 0 || keyPartitions > 10_000 )
            throw problem(KEY_PARTITIONS, Long.toString(keyPartitions), "is not between 0 and 10000");
        return new StreamsAppConfig(required(p, CHANGE_TOPIC), required(p, STEP_TOPIC), queries(required(p, QUERIES), base), engine, wallClock,
                                    (int)keyPartitions, streams);
    }

    private static List<ContinuousQuery> queries(String paths, Path base) {
        List<ContinuousQuery> out = new ArrayList<>();
        Map<String, Path> names = new TreeMap<>();
        for ( String s : paths.split(",") ) {
            if ( s.isBlank() )
                continue;
            Path f = base.resolve(s.trim());
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException ex) {
                throw problem(QUERIES, s.trim(), "names a file that cannot be read (" + ex + ")");
            }
            ContinuousQuery q;
            try {
                q = ContinuousQuery.parse(text);
            } catch (ContinuousQueryException ex) {
                throw problem(QUERIES, s.trim(), "holds a query that does not parse: " + ex.getMessage());
            }
            if ( q.name() == null )
                throw problem(QUERIES, s.trim(), "holds a query without a name; start it with REGISTER RSTREAM <name> AS");
            Path earlier = names.put(q.name(), f);
            if ( earlier != null )
                throw problem(QUERIES, s.trim(), "names query <" + q.name() + "> like " + earlier + "; give each query its own name");
            out.add(q);
        }
        if ( out.isEmpty() )
            throw problem(QUERIES, paths, "names no query file");
        return List.copyOf(out);
    }

    private static String required(Properties p, Key key) {
        String v = p.getProperty(key.name());
        if ( v == null || v.isBlank() )
            throw new CdcConfigException(key.name() + " is required: set it in the properties file or as " + envName(key) + " (" + key.doc() + ")");
        return v.trim();
    }

    private static long number(Properties p, Key key) {
        String v = p.getProperty(key.name(), key.defaultValue()).trim();
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException ex) {
            throw problem(key, v, "is not a whole number");
        }
    }

    /** The environment variable that sets {@code key}. */
    public static String envName(Key key) {
        return ENV_PREFIX + key.name().toUpperCase(Locale.ROOT).replace('.', '_');
    }

    private static CdcConfigException problem(Key key, String value, String what) {
        return new CdcConfigException(key.name() + " = " + value + " " + what + " (" + key.doc() + ")");
    }

    /** The Kafka Streams properties for the log, secrets masked. */
    public Map<String, String> maskedStreamsProperties() {
        Map<String, String> out = new TreeMap<>();
        for ( String k : streams.stringPropertyNames() ) {
            String lower = k.toLowerCase(Locale.ROOT);
            boolean secret = lower.contains("password") || lower.contains("jaas") || lower.contains("secret") || lower.contains("token");
            out.put(k, secret ? "********" : streams.getProperty(k));
        }
        return out;
    }
}
