package org.fusekicdc.fuseki.rsp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.VersionAtTime;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.fuseki.config.ContinuousQuerySettings;
import org.fusekicdc.fuseki.config.SinkSettings;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.LateEvent;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepJson;
import org.fusekicdc.rsp.StepListener;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.WindowSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A continuous query named in the configuration, with its durable outputs: a view graph
 * ({@link GraphView}) and a step log feeding sinks ({@link StepLog}), and for an event-time query
 * the graph its late events go to ({@link LateGraph}). Each output remembers the last step (or
 * late commit) it holds and ignores one it holds already, so what a restarted server replays
 * reaches no output twice.
 * <p>
 * Where replay starts ({@link #replayAfter}): early enough to rebuild every window whose step
 * some output still lacks. For commit-time windows that is the oldest window start after the
 * last step all outputs hold; for count, session and event-time windows, the whole retained log.
 * A query that has emitted nothing yet starts where it was first registered (recorded in
 * {@code <logDirectory>/rsp/<name>/registered-after}).
 */
final class ConfiguredQuery implements StepListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredQuery.class);
    private static final String REGISTERED = "registered-after";

    private final String dataset;
    private final ContinuousQuerySettings settings;
    private final ContinuousQuery query;
    private final GraphView view;
    private final StepLog stepLog;
    private final SinkRunners sinks;
    private final LateGraph lateGraph;
    /** Events refused as late since start-up (a replay refuses the same ones again). */
    private final AtomicLong lateEvents = new AtomicLong();
    /** Where steps are delivered: the thread feeding the query's engine changes when the query is isolated. */
    private volatile Consumer<Runnable> deliver;
    /** A step is waiting in {@link #deliver} for room in the step log: later steps go the same way, in order. */
    private boolean stepLogBehind;

    private ConfiguredQuery(String dataset, ContinuousQuerySettings settings, ContinuousQuery query, GraphView view, StepLog stepLog, SinkRunners sinks,
                            LateGraph lateGraph, Consumer<Runnable> deliver) {
        this.dataset = dataset;
        this.settings = settings;
        this.query = query;
        this.view = view;
        this.stepLog = stepLog;
        this.sinks = sinks;
        this.lateGraph = lateGraph;
        this.deliver = deliver;
    }

    /** @param deliver runs a step's delivery once the engine call that produced it has returned */
    static ConfiguredQuery open(CapturingDatasetGraph dsg, ContinuousQuerySettings settings, Consumer<Runnable> deliver) {
        String dataset = dsg.datasetName();
        GraphView view = settings.outputGraph() == null ? null : new GraphView(dsg, settings.name(), settings.outputGraph());
        StepLog stepLog = null;
        SinkRunners sinks = null;
        if ( !settings.sinks().isEmpty() ) {
            stepLog = StepLog.open(settings.stepLogDirectory(), dataset, settings.name(), dsg.changeLog().config().fsync());
            sinks = new SinkRunners(stepLog.log());
            for ( SinkSettings s : settings.sinks() )
                sinks.add(s.create(stepLog.log().dataset()), s.runnerConfig());
        }
        LateGraph late = settings.lateGraph() == null ? null : new LateGraph(dsg, settings.name(), settings.lateGraph());
        return new ConfiguredQuery(dataset, settings, settings.query(), view, stepLog, sinks, late, deliver);
    }

    ContinuousQuery query() {
        return query;
    }

    String name() {
        return settings.name();
    }

    /** The last step every output holds; 0 when some output holds none. */
    long lastStep() {
        long last = Long.MAX_VALUE;
        if ( view != null )
            last = Math.min(last, view.lastStep());
        if ( stepLog != null )
            last = Math.min(last, stepLog.lastStep());
        return last == Long.MAX_VALUE ? 0 : last;
    }

    /** The version after which the log is replayed to rebuild this query's windows. */
    long replayAfter(ChangeLog log) {
        if ( lastStep() == 0 )
            return registeredAfter(log);
        Instant from = resumeTime().orElse(null);
        if ( from == null )
            return log.firstVersion() - 1;
        VersionAtTime.Found before = VersionAtTime.at(log, from.minusMillis(1));
        return before == null ? log.firstVersion() - 1 : before.version();
    }

    /**
     * For commit-time windows after a step: the oldest start of a window still to report. A time
     * window's step number is its end divided by its STEP, so the windows after the last step
     * start after that end minus the longest RANGE. The clock is set there before the replay,
     * so that every window from then on reports, also the ones no commit fell into while the
     * server was down.
     */
    Optional<Instant> resumeTime() {
        long last = lastStep();
        List<WindowSpec> windows = query.windows();
        if ( last == 0 || !windows.stream().allMatch(w -> w.kind() == WindowSpec.Kind.TIME && !w.eventTime()) )
            return Optional.empty();
        Instant lastEnd = Instant.ofEpochMilli(last * windows.get(0).step().toMillis());
        Duration longest = windows.stream().map(WindowSpec::range).max(Duration::compareTo).orElseThrow();
        return Optional.of(lastEnd.minus(longest));
    }

    /** Where this query was first registered: recorded then, so that a query that has emitted nothing yet loses no window either. */
    private long registeredAfter(ChangeLog log) {
        Path marker = settings.stepLogDirectory().resolve(REGISTERED);
        try {
            if ( Files.exists(marker) )
                return Math.max(log.firstVersion() - 1, Long.parseLong(Files.readString(marker, StandardCharsets.US_ASCII).trim()));
            Files.createDirectories(marker.getParent());
            long v = log.publishedVersion();
            Path tmp = marker.resolveSibling(REGISTERED + ".tmp");
            Files.writeString(tmp, v + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, marker, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return v;
        } catch (IOException | NumberFormatException ex) {
            throw new UncheckedIOException(new IOException("Dataset '" + dataset + "', continuous query \"" + name() + "\": cannot read or write " + marker
                                                           + " (" + ex + "). Delete the file to start the query from the current version.", ex));
        }
    }

    /** From now on, deliver steps through {@code deliver} (the query moved to an engine fed by another thread). */
    void deliverThrough(Consumer<Runnable> deliver) {
        this.deliver = deliver;
    }

    void startSinks() {
        if ( sinks != null )
            sinks.start();
    }

    /**
     * The step goes to the step log at once, while the engine goes on to the other queries of the
     * same commit or clock advance: the log writes its JSON and forces it on its own thread, so the
     * sinks do not wait for the other queries' steps. Only when the log has no room does the step
     * wait, as a view's write always does, until the engine call has returned (a view commits a
     * write transaction on the dataset, which cannot happen inside the call).
     */
    @Override
    public void step(Step step) {
        if ( stepLog != null ) {
            if ( !stepLogBehind && stepLog.offerNow(step.number(), () -> StepJson.of(step)) )
                logWritten(step, "handed to the step log");
            else {
                stepLogBehind = true;
                deliver.accept(() -> {
                    stepLogBehind = false;
                    if ( stepLog.offer(step.number(), () -> StepJson.of(step)) )
                        logWritten(step, "handed to the step log");
                });
            }
        }
        if ( view != null && step.result() instanceof StepResult.Triples t )
            deliver.accept(() -> {
                if ( view.apply(step.number(), mode(step), t.graph().find().toList()) )
                    logWritten(step, "written to its view");
            });
    }

    private void logWritten(Step step, String where) {
        LOG.debug("Dataset '{}': continuous query {} step {} (window {}..{}) at version {} {}", dataset, name(), step.number(),
                  step.windowStart(), step.windowEnd(), step.version(), where);
    }

    /** Events refused as late since start-up. */
    long lateEvents() {
        return lateEvents.get();
    }

    @Override
    public void late(List<LateEvent> events) {
        lateEvents.addAndGet(events.size());
        if ( lateGraph != null )
            deliver.accept(() -> writeLate(events));
    }

    private void writeLate(List<LateEvent> events) {
        long version = events.get(0).version();
        if ( lateGraph.write(version, events) )
            LOG.debug("Dataset '{}': continuous query {}: {} late event(s) of version {} written to <{}>", dataset, name(), events.size(), version,
                      settings.lateGraph());
    }

    private static GraphView.Mode mode(Step step) {
        return switch (step.operator()) {
            case RSTREAM -> GraphView.Mode.REPLACE;
            case ISTREAM -> GraphView.Mode.ADD;
            case DSTREAM -> GraphView.Mode.REMOVE;
        };
    }

    @Override
    public void failed(String queryName, ContinuousQueryException error) {
        LOG.error("Dataset '{}': continuous query {} stopped: {}. Its outputs get no further steps until the server restarts with the cause fixed.",
                  dataset, name(), error.getMessage());
    }

    @Override
    public void close() {
        if ( sinks != null )
            sinks.close();
        if ( stepLog != null )
            stepLog.close();
    }
}
