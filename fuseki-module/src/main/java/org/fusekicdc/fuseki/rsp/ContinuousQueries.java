package org.fusekicdc.fuseki.rsp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.HistorySnapshots;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.fuseki.config.StreamSettings;
import org.fusekicdc.live.ClientCounts;
import org.fusekicdc.live.LiveQueryException;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.Commits;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.QueryStatus;
import org.fusekicdc.rsp.StreamEngine;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.VersionReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous queries of one captured dataset, served: a {@link StreamEngine} fed from the
 * change log (published versions, in order) by a thread of its own, never on the commit path,
 * and advanced by the log's clock so that time windows close without new commits: when
 * nothing is to be fed, the thread waits until the earliest open window's end (or a publish),
 * so a window closes at its end.
 * <p>
 * Configured queries ({@link ConfiguredQuery}) are registered at start, after their windows
 * have been rebuilt by replaying the log; their steps go to durable outputs. HTTP
 * registrations ({@link #subscribe}) start at the current version, or as of an earlier one
 * (replayed from the log by an engine of their own), and get their steps in a bounded queue
 * ({@link StepSubscription}); they hold places against the live-query limits.
 * <p>
 * The part of a query outside its windows reads the dataset at the step's version: the current
 * state when that is the head, else an as-of read (the log's patches undone). A commit made by
 * a view ({@link GraphView#HEADER}) enters no window, so a view never feeds itself.
 * <p>
 * A query a step of which takes longer than {@code cdc:streamCostlyStepMillis} is costly: after
 * the engine call that showed it, it moves with its windows and state to an engine of its own on
 * a thread of its own ({@link IsolatedQuery}), which reads the log at its own pace, so that it
 * never again delays the steps of the others.
 */
public final class ContinuousQueries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContinuousQueries.class);
    private static final int BATCH = 100;
    private static final long REGISTER_WAIT_SECONDS = 10;

    private final CapturingDatasetGraph dataset;
    private final ChangeLog log;
    private final StreamSettings settings;
    private final InstantSource clock;
    private final VersionReader versions;
    private final StreamEngine engine;
    private final ClientCounts counts;
    private final Map<String, ConfiguredQuery> configured = new LinkedHashMap<>();
    private final Map<String, StepSubscription> subscriptions = new java.util.concurrent.ConcurrentHashMap<>();
    /** Registrations started as of an earlier version: each has an engine of its own, fed from there (feeder thread only). */
    private final Map<String, StreamEngine> asOfEngines = new LinkedHashMap<>();
    /** Costly queries, each on a thread of its own. */
    private final Map<String, IsolatedQuery> isolated = new java.util.concurrent.ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Runnable> requests = new ConcurrentLinkedQueue<>();
    /** Steps produced during one engine call, dispatched after it returns (the engine may hold a read transaction meanwhile). */
    private final List<Runnable> produced = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicBoolean started = new AtomicBoolean();
    private final FeedWait wait;
    private final Runnable wakeUp;
    private final Thread feeder;
    private volatile boolean stopping;

    /**
     * @param snapshots the dataset's history copies for as-of reads, or null
     * @param places    the places HTTP registrations hold against the live-query limits, shared with the dataset's live queries
     */
    public ContinuousQueries(CapturingDatasetGraph dataset, StreamSettings settings, HistorySnapshots snapshots, ClientCounts places) {
        this.dataset = dataset;
        this.log = dataset.changeLog();
        this.settings = settings;
        this.clock = log.config().clock();
        this.versions = versionReader(dataset, snapshots);
        this.engine = new StreamEngine(dataset.datasetName(), settings.engine(), versions);
        this.counts = places;
        this.wait = new FeedWait(log, settings.tick());
        this.wakeUp = wait::wake;
        this.feeder = Thread.ofPlatform().daemon().name("cdc-rsp-" + dataset.datasetName()).unstarted(this::run);
    }

    /** The dataset at a version: its current state, or an as-of read below it; ended when the engine closes it. */
    private static VersionReader versionReader(CapturingDatasetGraph dataset, HistorySnapshots snapshots) {
        SharedNetChange changes = new SharedNetChange(dataset.changeLog(), AsOfRead.DEFAULT_MAX_CHANGED_QUADS);
        return version -> {
            AsOfRead read = AsOfRead.begin(dataset, version, snapshots, changes);
            return new VersionReader.View() {
                @Override
                public org.apache.jena.sparql.core.DatasetGraph dataset() {
                    return read.dataset();
                }

                @Override
                public void close() {
                    read.close();
                }
            };
        };
    }

    public String dataset() {
        return dataset.datasetName();
    }

    /**
     * Register the configured queries, each after rebuilding its windows from the log, start
     * their sinks, and start feeding.
     *
     * @throws ContinuousQueryException when a configured query is not a valid continuous query
     */
    public void start() {
        if ( !started.compareAndSet(false, true) )
            return;
        long replayAfter = log.publishedVersion();
        for ( var q : settings.queries() ) {
            ConfiguredQuery cq = ConfiguredQuery.open(dataset, q, this::produced);
            configured.put(q.name(), cq);
            replayAfter = Math.min(replayAfter, cq.replayAfter(log));
        }
        engine.startAfter(replayAfter);
        for ( ConfiguredQuery cq : configured.values() ) {
            engine.register(cq.query(), cq);
            cq.startSinks();
        }
        resumeClock(replayAfter);
        if ( !configured.isEmpty() )
            LOG.info("Dataset '{}': {} continuous quer{} registered, replaying the change log after version {} to rebuild their windows",
                     dataset(), configured.size(), configured.size() == 1 ? "y" : "ies", replayAfter);
        log.addPublishListener(wakeUp);
        feeder.start();
    }

    /**
     * Set the clock where the earliest window still to report starts (not after the first
     * commit replayed, which must still enter its windows): windows from then on report, also
     * the empty ones of a time the server was down.
     */
    private void resumeClock(long replayAfter) {
        Instant from = configured.values().stream().map(ConfiguredQuery::resumeTime).flatMap(java.util.Optional::stream)
                                 .min(Instant::compareTo).orElse(null);
        if ( from == null )
            return;
        if ( replayAfter < log.publishedVersion() ) {
            Instant firstReplayed = log.read(replayAfter + 1).meta().commitTime();
            if ( firstReplayed.isBefore(from) )
                from = firstReplayed;
        }
        engine.advanceTo(from);
        deliverProduced();
    }

    /**
     * Register a continuous query for an HTTP client: its steps, from the next commit on, go to
     * the subscription's bounded queue. The client holds a place against the live-query limits
     * until the subscription is closed.
     *
     * @throws ContinuousQueryException for a malformed query
     * @throws LiveQueryException when a limit is reached
     */
    public StepSubscription subscribe(String text, String client, int maxQueued) {
        return subscribe(text, client, maxQueued, null);
    }

    /**
     * Register a continuous query for an HTTP client as if it had been registered when the
     * dataset was at an earlier version: its windows fill from the commits after that version,
     * replayed from the log (the rest of the query read as of each step's version), and it goes
     * on live once the replay has caught up. Such a registration has an engine of its own, so
     * its replay never holds back the steps of the others.
     *
     * @param asOf the version to start after and its commit time (when the first window's clock starts), or null for now
     * @throws ContinuousQueryException for a malformed query
     * @throws LiveQueryException when a limit is reached
     */
    public StepSubscription subscribe(String text, String client, int maxQueued, AsOfStart asOf) {
        ContinuousQuery parsed = ContinuousQuery.parse(text);
        if ( stopping )
            throw new LiveQueryException(LiveQueryException.Kind.BUSY, "The continuous queries of dataset '" + dataset() + "' are stopping.");
        if ( subscriptions.size() + configured.size() >= settings.maxQueries() )
            throw new LiveQueryException(LiveQueryException.Kind.TOO_MANY, "Dataset '" + dataset() + "' runs " + settings.maxQueries()
                                         + " continuous queries, the most allowed (cdc:streamMaxQueries); try again later.");
        if ( asOf == null )
            StreamEngine.checkWindowBudget(parsed, settings.engine(), clock.instant(), newestFirst());
        counts.take(client);
        String name = "http-" + ids.incrementAndGet();
        ContinuousQuery query = parsed.withName(name);
        StepSubscription sub = new StepSubscription(name, client, query, maxQueued, this::unsubscribe);
        subscriptions.put(name, sub);
        // Registered on the feeder thread, between two engine calls; the request waits, so a refusal is its answer.
        CompletableFuture<Void> registered = new CompletableFuture<>();
        post(() -> {
            try {
                if ( asOf != null && asOf.version() != engine.version() )
                    registerAsOf(query, sub, asOf);
                else
                    engine.register(query, sub);
                registered.complete(null);
            } catch (RuntimeException ex) {
                registered.completeExceptionally(ex);
            }
        });
        try {
            registered.get(REGISTER_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException ex) {
            sub.close();
            if ( ex.getCause() instanceof RuntimeException re )
                throw re;
            throw new IllegalStateException(ex.getCause());
        } catch (TimeoutException | InterruptedException ex) {
            sub.close();
            if ( ex instanceof InterruptedException )
                Thread.currentThread().interrupt();
            throw new LiveQueryException(LiveQueryException.Kind.BUSY, "The continuous queries of dataset '" + dataset() + "' are busy (a step is"
                                         + " being evaluated) and did not take the registration within " + REGISTER_WAIT_SECONDS + " s; try again later.");
        }
        LOG.debug("Dataset '{}': continuous query {} of {} registered", dataset(), name, client);
        return sub;
    }

    /** The published commits, newest first, read as they are asked for. */
    private java.util.Iterator<Commit> newestFirst() {
        long head = log.publishedVersion();
        return new java.util.Iterator<>() {
            private long next = head;

            @Override
            public boolean hasNext() {
                return next >= 1 && next >= log.firstVersion();
            }

            @Override
            public Commit next() {
                if ( !hasNext() )
                    throw new java.util.NoSuchElementException();
                return commitOf(log.read(next--));
            }
        };
    }

    /** Where a registration as of an earlier version starts: after {@code version}, its clock at {@code committed}. */
    public record AsOfStart(long version, Instant committed) {}

    /** On the feeder thread. */
    private void registerAsOf(ContinuousQuery query, StepSubscription sub, AsOfStart asOf) {
        StreamEngine own = new StreamEngine(dataset() + "/" + query.name(), settings.engine(), versions);
        try {
            own.startAfter(asOf.version());
            own.register(query, sub);
            if ( asOf.committed() != null )
                own.advanceTo(asOf.committed());
        } catch (RuntimeException ex) {
            own.close();
            throw ex;
        }
        deliverProduced();
        asOfEngines.put(query.name(), own);
        LOG.info("Dataset '{}': continuous query {} of {} starts as of version {}, replaying the change log up to version {}",
                 dataset(), query.name(), sub.client(), asOf.version(), engine.version());
    }

    private void unsubscribe(StepSubscription sub) {
        if ( subscriptions.remove(sub.name()) == null )
            return;
        counts.give(sub.client());
        post(() -> {
            StreamEngine own = asOfEngines.remove(sub.name());
            IsolatedQuery lane = isolated.remove(sub.name());
            if ( own != null )
                own.close();
            else if ( lane != null )
                lane.stop();
            else
                engine.unregister(sub.name());
        });
        LOG.debug("Dataset '{}': continuous query {} of {} ended", dataset(), sub.name(), sub.client());
    }

    /** The registered queries and what they have done (a costly query's as of its last step). */
    public List<QueryStatus> status() {
        List<QueryStatus> all = new ArrayList<>(engine.status());
        isolated.values().forEach(q -> all.addAll(q.status()));
        return all;
    }

    /** The names of the costly queries, which run on threads of their own. */
    public java.util.Set<String> isolatedQueries() {
        return java.util.Set.copyOf(isolated.keySet());
    }

    /** Events the configured query {@code name} refused as late since start-up; 0 for an unknown name. */
    public long configuredLateEvents(String name) {
        ConfiguredQuery q = configured.get(name);
        return q == null ? 0 : q.lateEvents();
    }

    /** The dataset version the queries have been fed up to. */
    public long version() {
        return engine.version();
    }

    /** Open HTTP registrations. */
    public int subscriptionCount() {
        return subscriptions.size();
    }

    /** Called on the feeder thread, inside an engine call: the step is delivered once the call has returned. */
    private void produced(Runnable delivery) {
        produced.add(delivery);
    }

    private void post(Runnable r) {
        requests.add(r);
        wait.wake();
    }

    private void run() {
        LOG.info("Dataset '{}': continuous queries fed from version {}", dataset(), engine.version());
        try {
            while ( !stopping ) {
                isolateCostly();
                Runnable r;
                while ( (r = requests.poll()) != null )
                    r.run();
                boolean fed = feedCommits(engine);
                for ( StreamEngine own : asOfEngines.values() )
                    fed |= feedCommits(own);
                if ( fed )
                    continue;
                advanceClock();
                wait.await(nextClose(), () -> requests.isEmpty() && log.publishedVersion() <= engine.version() && !stopping);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error ex) {
            LOG.error("Dataset '{}': continuous queries stopped at version {}: {}. Steps after it are not emitted until the server restarts;"
                      + " configured queries then resume from their last emitted step.", dataset(), engine.version(), ex.toString(), ex);
            subscriptions.values().forEach(s -> s.fail("The continuous queries of this dataset stopped: " + ex));
        }
    }

    /** Feed an engine the next published commits; false when there were none. */
    private boolean feedCommits(StreamEngine target) {
        List<LogRecord> records = log.readAfter(target.version(), BATCH);
        for ( LogRecord r : records ) {
            target.accept(commitOf(r));
            deliverProduced();
            if ( target == engine )
                isolateCostly();
        }
        return !records.isEmpty();
    }

    /** A log record as the engine takes it: a view's own commit with no quads, so that it enters no window. */
    static Commit commitOf(LogRecord r) {
        return isViewCommit(r) ? new Commit(r.version(), r.meta().commitTime(), List.of(), List.of()) : Commits.fromLog(r);
    }

    /**
     * Time passes: windows ending by now close. Not past a commit appended and not yet
     * published: its commit time may be earlier than now, and it must still enter its window.
     */
    private void advanceClock() {
        Instant now = clockNow(log, clock, engine.version());
        if ( now == null )
            return;     // published since the feed: fed first, on the next pass
        engine.advanceTo(now);
        // Reached only when every engine has been fed all that is published: none is still replaying.
        for ( StreamEngine own : asOfEngines.values() )
            own.advanceTo(now);
        deliverProduced();
        isolateCostly();
    }

    /** When a window of the engines fed here closes next without a commit (the costly queries' threads wait for their own). */
    private Optional<Instant> nextClose() {
        Optional<Instant> next = engine.nextClose();
        for ( StreamEngine own : asOfEngines.values() ) {
            Optional<Instant> o = own.nextClose();
            if ( o.isPresent() && (next.isEmpty() || o.get().isBefore(next.get())) )
                next = o;
        }
        return next;
    }

    /**
     * The time an engine fed all that is published may advance to: now, or just before a commit
     * being appended or appended and not yet published (stamped before its write is durable).
     */
    static Instant clockNow(ChangeLog log, InstantSource clock) {
        Instant now = clock.instant();
        RecordMeta pending = log.unpublished();
        if ( pending != null && pending.commitTime().isBefore(now) )
            now = pending.commitTime().minusMillis(1);
        return now;
    }

    /**
     * As {@link #clockNow(ChangeLog, InstantSource)} for an engine fed through version {@code fed};
     * null when a commit was published after {@code fed} meanwhile: stamped before now, it must
     * enter its windows before time passes it. (Checked after the head is read: a commit appended
     * later is stamped no earlier than now.)
     */
    static Instant clockNow(ChangeLog log, InstantSource clock, long fed) {
        Instant now = clockNow(log, clock);
        return log.publishedVersion() > fed ? null : now;
    }

    /**
     * Move each query the last engine call showed to be costly to a thread of its own, at the
     * version and time the shared engine stands at (its steps so far delivered): it goes on from
     * there with the same steps, in order, and no longer delays the others.
     */
    private void isolateCostly() {
        for ( Map.Entry<String, Long> c : engine.costlyQueries().entrySet() ) {
            String name = c.getKey();
            ConfiguredQuery cq = configured.get(name);
            org.fusekicdc.rsp.StepListener listener = cq != null ? cq : subscriptions.get(name);
            if ( listener == null )
                continue;   // an HTTP client that has just left: its unregistration is queued
            StreamEngine own = engine.isolate(name, dataset() + "/" + name);
            IsolatedQuery lane = new IsolatedQuery(dataset(), name, own, log, clock, settings.tick(), settings.maxLagVersions(), listener,
                                                   q -> isolated.remove(q.name(), q));
            if ( cq != null )
                cq.deliverThrough(lane::produced);
            isolated.put(name, lane);
            lane.start();
            LOG.info("Dataset '{}': continuous query {} is costly (a step took {} ms, more than cdc:{} {} ms): from version {} on it runs on a thread of its own",
                     dataset(), name, c.getValue(), StreamEngineConfig.COSTLY_STEP_MILLIS.name(), settings.engine().costlyStepMillis(), own.version());
        }
    }

    private void deliverProduced() {
        for ( Runnable d : produced )
            d.run();
        produced.clear();
    }

    /**
     * Whether a record is a continuous query's own commit, a view's step or its late events: its
     * headers (which come first in the patch text) name the query.
     */
    static boolean isViewCommit(LogRecord record) {
        String view = "H " + GraphView.HEADER + " ";
        String late = "H " + LateGraph.HEADER + " ";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(record.openPayload(), StandardCharsets.UTF_8))) {
            String line;
            while ( (line = in.readLine()) != null && line.startsWith("H ") ) {
                if ( line.startsWith(view) || line.startsWith(late) )
                    return true;
            }
            return false;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        log.removePublishListener(wakeUp);
        stopping = true;
        wait.wake();
        if ( feeder.isAlive() ) {
            try {
                feeder.join(10_000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        isolated.values().forEach(IsolatedQuery::stop);
        isolated.values().forEach(IsolatedQuery::close);
        subscriptions.values().forEach(s -> s.fail("The server is stopping."));
        configured.values().forEach(ConfiguredQuery::close);
        asOfEngines.values().forEach(StreamEngine::close);
        engine.close();
        LOG.info("Dataset '{}': continuous queries stopped at version {}", dataset(), engine.version());
    }
}
