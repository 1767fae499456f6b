package org.fusekicdc.fuseki.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.ResourceFactory;
import org.apache.jena.rdf.model.Statement;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CommitAttributes;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.Retention;
import org.fusekicdc.live.LiveConfig;

/**
 * The validated settings of one {@code cdc:CapturedDataset} description. Every check happens
 * here, at start-up, and every failure names the resource, the property, the value seen and
 * the fix.
 */
public record CapturedDatasetSettings(Resource datasetDescription, String name, Path logDirectory, boolean fsync,
                                      long segmentBytes, long startNewHistory, int spillThreshold, Path spillDirectory, Path snapshotDirectory, Retention retention,
                                      FeedSettings feed, LiveSettings live, List<SinkSettings> sinks, FollowSettings follow, List<SourceSettings> sources,
                                      Set<String> adminUsers, LdesSettings ldes, HistorySettings history,
                                      ReplicaReadSettings replicaReads, StreamSettings streams) {

    private static final String FUSEKI_NS = "http://jena.apache.org/fuseki#";
    private static final Property FUSEKI_DATASET = ResourceFactory.createProperty(FUSEKI_NS + "dataset");
    private static final Property FUSEKI_NAME = ResourceFactory.createProperty(FUSEKI_NS + "name");

    public static CapturedDatasetSettings from(Resource root) {
        String where = describe(root);
        checkProperties(root, where);
        Resource ds = requiredResource(root, VocabCdc.dataset, where);
        Path logDir = Descriptions.directory(VocabCdc.logDirectory.getLocalName(), requiredString(root, VocabCdc.logDirectory, where), where);
        String name = optionalString(root, VocabCdc.name, where);
        if ( name == null )
            name = serviceName(root, where);
        boolean fsync = optionalBoolean(root, CdcOption.FSYNC, where);
        long segmentBytes = optionalLong(root, CdcOption.SEGMENT_BYTES, where);
        long startNewHistory = optionalLong(root, CdcOption.START_NEW_HISTORY, where);
        int spill = optionalInt(root, CdcOption.SPILL_THRESHOLD, where);
        String spillDir = optionalString(root, VocabCdc.spillDirectory, where);
        String snapshotDir = optionalString(root, VocabCdc.snapshotDirectory, where);
        Retention retention = new Retention(optionalLong(root, CdcOption.RETAIN_VERSIONS, where),
                                            optionalDuration(root, VocabCdc.retainAge, where),
                                            optionalLong(root, CdcOption.RETAIN_BYTES, where),
                                            optionalBoolean(root, CdcOption.RETENTION_OVERRIDES_READERS, where));
        Duration slowReaderTimeout = Duration.ofSeconds(optionalInt(root, CdcOption.SLOW_READER_SECONDS, where));
        FeedSettings feed = feedSettings(root, where, slowReaderTimeout);
        LiveConfig dl = LiveConfig.DEFAULTS;
        Duration queryTimeout = Duration.ofSeconds(optionalInt(root, CdcOption.LIVE_QUERY_TIMEOUT_SECONDS, where));
        long costlyMillis = optionalLong(root, CdcOption.LIVE_COSTLY_QUERY_MILLIS, where);
        if ( costlyMillis > queryTimeout.toMillis() )
            throw new CdcConfigException(VocabCdc.liveCostlyQueryMillis.getLocalName(), where + ": cdc:liveCostlyQueryMillis " + costlyMillis
                                         + " is longer than cdc:liveQueryTimeoutSeconds (" + queryTimeout.toSeconds() + " s): no query could be costly."
                                         + " Use at most " + queryTimeout.toMillis() + ".");
        int costlyThreads = optionalInt(root, CdcOption.LIVE_COSTLY_THREADS, where);
        int costlyBusy = optionalInt(root, CdcOption.LIVE_COSTLY_BUSY_PERCENT, where);
        LiveConfig liveConfig = new LiveConfig(
            optionalInt(root, CdcOption.LIVE_MAX_SUBSCRIPTIONS, where),
            optionalInt(root, CdcOption.LIVE_MAX_PER_CLIENT, where),
            optionalInt(root, CdcOption.LIVE_MAX_RESULT_ROWS, where),
            queryTimeout, dl.maxPendingRows(), dl.historyDeltas(), Duration.ofMillis(costlyMillis),
            costlyThreads, costlyBusy);
        long heartbeat = optionalLong(root, CdcOption.LIVE_HEARTBEAT_SECONDS, where);
        String origins = optionalString(root, VocabCdc.allowedOrigins, where);
        AllowedOrigins allowedOrigins;
        try {
            allowedOrigins = origins == null ? AllowedOrigins.SAME_ORIGIN : AllowedOrigins.parse(origins);
        } catch (IllegalArgumentException ex) {
            throw new CdcConfigException(VocabCdc.allowedOrigins.getLocalName(), where + ": cdc:allowedOrigins: " + ex.getMessage() + ".");
        }
        LiveSettings live = new LiveSettings(liveConfig, Duration.ofSeconds(heartbeat), allowedOrigins, slowReaderTimeout);
        List<SinkSettings> sinks = new ArrayList<>();
        for ( Statement st : root.listProperties(VocabCdc.sink).toList() )
            sinks.add(SinkSettings.from(st.getObject(), name, logDir, where, false));
        long distinct = sinks.stream().map(SinkSettings::name).distinct().count();
        if ( distinct != sinks.size() )
            throw new CdcConfigException(VocabCdc.name.getLocalName(), where + ": two sinks have the same cdc:name; give each sink its own name.");
        RDFNode followNode = value(root, VocabCdc.follow);
        FollowSettings follow = followNode == null ? null : FollowSettings.from(followNode, name, logDir, where);
        List<SourceSettings> sources = new ArrayList<>();
        for ( Statement st : root.listProperties(VocabCdc.source).toList() )
            sources.add(SourceSettings.from(st.getObject(), logDir, where));
        if ( sources.stream().map(SourceSettings::name).distinct().count() != sources.size() )
            throw new CdcConfigException(VocabCdc.name.getLocalName(), where + ": two sources have the same cdc:name; give each source its own name.");
        HistorySettings history = new HistorySettings(optionalLong(root, CdcOption.HISTORY_SNAPSHOT_EVERY, where), optionalInt(root, CdcOption.HISTORY_SNAPSHOTS_KEPT, where),
                                                      logDir.resolve("history"), optionalBoolean(root, CdcOption.HISTORY_INDEX, where));
        if ( follow != null && history.enabled() )
            throw new CdcConfigException(VocabCdc.historySnapshotEvery.getLocalName(), where + ": history copies are taken on the leader only (a follower's"
                                         + " history can be replaced by a snapshot of its leader); remove cdc:historySnapshotEvery here, or set it on the leader.");
        if ( follow != null && !sources.isEmpty() )
            throw new CdcConfigException(VocabCdc.follow.getLocalName(), where + ": a follower takes its changes from its leader only; remove cdc:source,"
                                         + " or give the source to the leader.");
        List<ContinuousQuerySettings> queries = new ArrayList<>();
        for ( Statement st : root.listProperties(VocabCdc.continuousQuery).toList() )
            queries.add(ContinuousQuerySettings.from(st.getObject(), name, logDir, where));
        if ( queries.stream().map(ContinuousQuerySettings::name).distinct().count() != queries.size() )
            throw new CdcConfigException(VocabCdc.name.getLocalName(), where + ": two continuous queries have the same cdc:name; give each query its own name.");
        StreamSettings streams = new StreamSettings(List.copyOf(queries), Duration.ofMillis(optionalLong(root, CdcOption.STREAM_TICK_MILLIS, where)),
                                                    optionalInt(root, CdcOption.STREAM_MAX_QUERIES, where),
                                                    optionalLong(root, CdcOption.STREAM_MAX_LAG_VERSIONS, where),
                                                    new StreamEngineConfig(optionalLong(root, StreamEngineConfig.MAX_WINDOW_QUADS, where),
                                                                           optionalBoolean(root, StreamEngineConfig.INCREMENTAL, where),
                                                                           optionalLong(root, StreamEngineConfig.COSTLY_STEP_MILLIS, where)));
        if ( queries.size() > streams.maxQueries() )
            throw new CdcConfigException(VocabCdc.streamMaxQueries.getLocalName(), where + ": " + queries.size() + " continuous queries are configured but cdc:streamMaxQueries is "
                                         + streams.maxQueries() + "; raise it to at least " + queries.size() + ".");
        if ( follow != null && queries.stream().anyMatch(q -> q.outputGraph() != null) )
            throw new CdcConfigException(VocabCdc.outputGraph.getLocalName(), where + ": a follower takes its changes from its leader only, so a continuous query"
                                         + " cannot write cdc:outputGraph here; give the query to the leader, whose view graph the follower then receives.");
        if ( follow != null && queries.stream().anyMatch(q -> q.lateGraph() != null) )
            throw new CdcConfigException(VocabCdc.lateGraph.getLocalName(), where + ": a follower takes its changes from its leader only, so a continuous query"
                                         + " cannot write cdc:lateGraph here; give the query to the leader, whose late-data graph the follower then receives.");
        return new CapturedDatasetSettings(ds, name, logDir, fsync, segmentBytes, startNewHistory, spill,
                                           spillDir == null ? logDir.resolve("spill") : Descriptions.directory(VocabCdc.spillDirectory.getLocalName(), spillDir, where),
                                           snapshotDir == null ? logDir.resolve("snapshots")
                                               : Descriptions.directory(VocabCdc.snapshotDirectory.getLocalName(), snapshotDir, where), retention, feed, live,
                                           List.copyOf(sinks), follow, List.copyOf(sources), adminUsers(root, where),
                                           new LdesSettings(optionalInt(root, CdcOption.LDES_PAGE_SIZE, where),
                                                            Duration.ofSeconds(optionalInt(root, CdcOption.LDES_MAX_AGE_SECONDS, where))),
                                           history,
                                           new ReplicaReadSettings(Duration.ofMillis(optionalLong(root, CdcOption.MIN_VERSION_WAIT_MILLIS, where)),
                                                                   optionalInt(root, CdcOption.MIN_VERSION_MAX_WAITERS, where),
                                                                   optionalLong(root, CdcOption.READY_MAX_LAG_VERSIONS, where),
                                                                   optionalLong(root, CdcOption.READY_MAX_LAG_MILLIS, where)),
                                           streams);
    }

    /** {@code cdc:adminUsers}: user names separated by spaces or commas; none when absent. */
    private static Set<String> adminUsers(Resource root, String where) {
        String list = optionalString(root, VocabCdc.adminUsers, where);
        if ( list == null )
            return Set.of();
        return Set.of(Arrays.stream(list.trim().split("[\\s,]+")).filter(u -> !u.isEmpty()).distinct().toArray(String[]::new));
    }

    public ChangeLogConfig logConfig() {
        return new ChangeLogConfig(logDirectory, name, fsync, segmentBytes, retention);
    }

    public CaptureConfig captureConfig(CommitAttributes attributes) {
        return new CaptureConfig(spillThreshold, spillDirectory, attributes);
    }

    private static String describe(Resource root) {
        return "cdc:CapturedDataset " + (root.isURIResource() ? "<" + root.getURI() + ">" : "[blank node]");
    }

    private static void checkProperties(Resource root, String where) {
        Map<String, Option<?>> known = CdcOption.ALL.stream().collect(Collectors.toMap(o -> VocabCdc.NS + o.name(), o -> o));
        Set<String> seen = new LinkedHashSet<>();
        for ( Statement st : root.listProperties().toList() ) {
            Property p = st.getPredicate();
            if ( !p.getURI().startsWith(VocabCdc.NS) )
                continue;
            if ( !known.containsKey(p.getURI()) )
                throw new CdcConfigException(p.getLocalName(), where + ": unknown property cdc:" + p.getLocalName() + ". Known properties: "
                                         + CdcOption.ALL.stream().map(Option::prefixedName).collect(Collectors.joining(", "))
                                         + " (see docs/configuration.md).");
            if ( !seen.add(p.getURI()) && !known.get(p.getURI()).repeatable() )
                throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " is given more than once; give it once.");
        }
    }

    private static RDFNode value(Resource root, Property p) {
        Statement st = root.getProperty(p);
        return st == null ? null : st.getObject();
    }

    private static Resource requiredResource(Resource root, Property p, String where) {
        RDFNode n = value(root, p);
        if ( n == null )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " is required: the dataset to capture, for example"
                                     + " `cdc:dataset [ a tdb2:DatasetTDB2 ; tdb2:location \"run/ds\" ]`.");
        if ( !n.isResource() )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " must be a dataset description (a resource), not the literal " + n + ".");
        return n.asResource();
    }

    private static String requiredString(Resource root, Property p, String where) {
        String s = optionalString(root, p, where);
        if ( s == null )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " is required, for example `cdc:" + p.getLocalName() + " \"run/changes/ds\"`.");
        return s;
    }

    private static String optionalString(Resource root, Property p, String where) {
        RDFNode n = value(root, p);
        if ( n == null )
            return null;
        if ( !n.isLiteral() || n.asLiteral().getLexicalForm().isBlank() )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " must be a non-empty string, got " + n + ".");
        return n.asLiteral().getLexicalForm();
    }

    private static boolean optionalBoolean(Resource root, Option<Boolean> option, String where) {
        RDFNode n = value(root, option);
        if ( n == null )
            return option.defaultValue();
        String lex = n.isLiteral() ? n.asLiteral().getLexicalForm() : "";
        return switch (lex) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new CdcConfigException(option.name(), where + ": " + option.prefixedName() + " must be true or false, got " + n + ".");
        };
    }

    private static FeedSettings feedSettings(Resource root, String where, Duration slowReaderTimeout) {
        int maxStreams = optionalInt(root, CdcOption.FEED_MAX_STREAMS, where);
        // Unless given, one client may have the default share, or every stream when there are fewer.
        int perClient = value(root, CdcOption.FEED_MAX_STREAMS_PER_CLIENT) == null
            ? (int)Math.min(CdcOption.FEED_MAX_STREAMS_PER_CLIENT.defaultValue(), maxStreams)
            : optionalInt(root, CdcOption.FEED_MAX_STREAMS_PER_CLIENT, where);
        if ( perClient > maxStreams )
            throw new CdcConfigException(VocabCdc.feedMaxStreamsPerClient.getLocalName(), where + ": cdc:feedMaxStreamsPerClient " + perClient
                                         + " is more than cdc:feedMaxStreams " + maxStreams + ", the most streams of all clients together;"
                                         + " use at most " + maxStreams + ", or raise cdc:feedMaxStreams.");
        Duration heartbeat = Duration.ofSeconds(optionalInt(root, CdcOption.FEED_HEARTBEAT_SECONDS, where));
        return new FeedSettings(maxStreams, perClient, heartbeat, slowReaderTimeout);
    }

    /** A whole-number option whose bounds (declared at most {@link Integer#MAX_VALUE}) an int holds. */
    private static int optionalInt(Resource root, Option<Long> option, String where) {
        return Math.toIntExact(optionalLong(root, option, where));
    }

    /** A whole-number option: its default when absent, else the value, checked against the option's bounds. */
    private static long optionalLong(Resource root, Option<Long> option, String where) {
        RDFNode n = value(root, option);
        if ( n == null )
            return option.defaultValue();
        long v;
        try {
            if ( !n.isLiteral() )
                throw new NumberFormatException();
            v = Long.parseLong(n.asLiteral().getLexicalForm().trim());
        } catch (NumberFormatException ex) {
            throw new CdcConfigException(option.name(), where + ": " + option.prefixedName() + " must be a whole number, got " + n + ".");
        }
        String problem = option.problem(v);
        if ( problem != null )
            throw new CdcConfigException(option.name(), where + ": " + option.prefixedName() + " " + problem + ".");
        return v;
    }

    private static RDFNode value(Resource root, Option<?> option) {
        return value(root, ResourceFactory.createProperty(VocabCdc.NS + option.name()));
    }

    private static Duration optionalDuration(Resource root, Property p, String where) {
        RDFNode n = value(root, p);
        if ( n == null )
            return null;
        String lex = n.isLiteral() ? n.asLiteral().getLexicalForm().trim() : String.valueOf(n);
        try {
            Duration d = Duration.parse(lex);
            if ( d.isNegative() || d.isZero() )
                throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " must be a positive duration, got " + lex + ".");
            d.toMillis();  // throws for a duration longer than the milliseconds timers count
            return d;
        } catch (ArithmeticException ex) {
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " " + lex + " is longer than any clock counts; give a duration such as \"P7D\".");
        } catch (DateTimeParseException ex) {
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " must be a duration in days, hours, minutes or seconds such as \"P7D\" or \"PT12H\""
                                     + " (months and years are not fixed lengths), got \"" + lex + "\".");
        }
    }

    /** The fuseki:name of the one service whose fuseki:dataset is this description. */
    private static String serviceName(Resource root, String where) {
        List<String> names = new ArrayList<>();
        root.getModel().listSubjectsWithProperty(FUSEKI_DATASET, root).forEach(svc -> {
            Statement st = svc.getProperty(FUSEKI_NAME);
            if ( st != null && st.getObject().isLiteral() ) {
                String n = st.getString();
                names.add(n.startsWith("/") ? n.substring(1) : n);
            }
        });
        if ( names.size() != 1 )
            throw new CdcConfigException(VocabCdc.name.getLocalName(), where + ": cdc:name is required because " + (names.isEmpty()
                    ? "no fuseki:Service with a fuseki:name serves this dataset"
                    : "several services serve it (" + String.join(", ", names) + ")")
                    + ". Add `cdc:name \"ds\"` with the name to put in patch headers.");
        return names.get(0);
    }
}
