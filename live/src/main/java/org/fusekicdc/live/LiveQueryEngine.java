package org.fusekicdc.live;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.jena.query.Query;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.util.Symbol;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the answers of a dataset's live queries up to date, off the write path.
 * <p>
 * One thread follows the change log. At each step it opens a snapshot of the dataset at a
 * known version (without blocking writers), reads the patches since the last step, finds the
 * queries they can affect through a {@link PatternIndex}, re-evaluates only those, once per
 * distinct query, on that snapshot, and sends each subscriber the rows added and removed,
 * tagged with the snapshot's version ({@link QueryRefresher}). New subscriptions are answered on
 * the same snapshot ({@link QueryRegistry}). Commits never wait for any of this.
 * <p>
 * No evaluation on that thread may take longer than {@link LiveConfig#costlyThreshold()}: one
 * that does is cancelled, and the query is evaluated from then on by the {@link CostlyLane}'s
 * threads, on snapshots of their own, so a costly query delays only other costly queries.
 * Every subscription holds one place in the {@link ClientCounts} from the request until it ends,
 * whichever way it ends.
 */
public final class LiveQueryEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveQueryEngine.class);
    // How long a subscribe request may wait for its first answer beyond the query timeout (the costly threads may be busy).
    private static final long ANSWER_GRACE_MILLIS = 10_000;
    private static final List<Symbol> UNION_DEFAULT = List.of(Symbol.create("http://jena.apache.org/TDB#unionDefaultGraph"),
                                                               Symbol.create("http://jena.apache.org/TDB2#unionDefaultGraph"));

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final LiveConfig config;
    private final Evaluator evaluator;
    private final CostlyLane costly;
    private final ClientCounts counts;
    private final QueryRegistry registry;
    private final QueryRefresher refresher;
    private final Thread thread;
    private final Object signal = new Object();
    private final Runnable wakeUp = this::wake;
    private final ConcurrentLinkedQueue<Runnable> requests = new ConcurrentLinkedQueue<>();
    private final Set<CompletableFuture<Subscription>> unanswered = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong droppedClients = new AtomicLong();
    private volatile long version = -1;
    private volatile boolean stopping;

    public LiveQueryEngine(CapturingDatasetGraph dsg, LiveConfig config) {
        this(dsg, config, new ClientCounts(config, dsg.datasetName()));
    }

    /** @param counts the places its subscriptions hold against the limits, shared with other kinds of subscription of the dataset */
    public LiveQueryEngine(CapturingDatasetGraph dsg, LiveConfig config, ClientCounts counts) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.config = config;
        this.evaluator = new Evaluator(dsg, log, config);
        this.costly = new CostlyLane(dsg, this, evaluator, config);
        this.counts = counts;
        boolean union = UNION_DEFAULT.stream().anyMatch(s -> dsg.getContext().isTrue(s));
        this.registry = new QueryRegistry(this, config, evaluator, costly, counts, log.config().clock(), union);
        this.refresher = new QueryRefresher(dsg, config, evaluator, costly, registry);
        this.thread = Thread.ofPlatform().daemon().name("cdc-live-" + dsg.datasetName()).unstarted(this::run);
        log.addPublishListener(wakeUp);
        thread.start();
    }

    public String dataset() {
        return dsg.datasetName();
    }

    /**
     * Subscribe to a query, waiting for the first event. See {@link #subscribeAsync}.
     *
     * @throws LiveQueryException for a bad query, when a limit is reached, or when no answer came in time
     */
    public Subscription subscribe(String queryString, String client, long resumeAfter) {
        return subscribe(queryString, client, resumeAfter, LiveView.ALL);
    }

    /** Subscribe on the subscriber's {@code view} of the dataset, waiting for the first event. See {@link #subscribeAsync}. */
    public Subscription subscribe(String queryString, String client, long resumeAfter, LiveView view) {
        try {
            return subscribeAsync(queryString, client, resumeAfter, view).join();
        } catch (CompletionException ex) {
            if ( ex.getCause() instanceof RuntimeException re )
                throw re;
            throw ex;
        }
    }

    /**
     * Subscribe to a query. The subscription's first event is the whole answer ({@code Initial}),
     * or, when {@code resumeAfter} is a version whose later changes are still known, an update
     * with those changes (none if nothing changed). The future fails with a
     * {@link LiveQueryException} when evaluation fails or when there is no answer within the query
     * timeout and some seconds more ({@link LiveQueryException.Kind#BUSY}). A caller that no longer
     * wants the subscription cancels the future: the subscription is then never registered, and
     * an evaluation made for it alone is aborted.
     *
     * <p>
     * The query is evaluated on the subscriber's {@code view} of the dataset (graph-level access
     * control), and shared only among subscribers with the same view. A restricted view re-runs
     * its query on each change that can affect it (no delta rules: the changes themselves are not
     * filtered per view).
     *
     * @param client      who subscribes (user or address), for the per-client limit
     * @param resumeAfter the last version the client has applied, or -1 for a fresh subscription
     * @param view        the part of the dataset the subscriber may read ({@link LiveView#ALL} for all)
     * @throws LiveQueryException at once for a bad query or when a limit is reached
     */
    public CompletableFuture<Subscription> subscribeAsync(String queryString, String client, long resumeAfter, LiveView view) {
        Query query = SubscribeRequest.parse(queryString);
        List<QueryPatterns.QuadPattern> patterns = QueryPatterns.of(Algebra.compile(query));
        if ( stopping )
            throw new LiveQueryException(LiveQueryException.Kind.BUSY, "The live query engine of dataset '" + dataset() + "' is stopping.");
        counts.take(client);
        CompletableFuture<Subscription> done = new CompletableFuture<>();
        unanswered.add(done);
        done.whenComplete((s, ex) -> {
            unanswered.remove(done);
            if ( ex != null ) {
                // Never handed out: its place goes back, and a costly first evaluation may have no one left to wait for it.
                counts.give(client);
                post(registry::dropAbandoned);
            }
        });
        String key = view.isAll() ? query.serialize() : view.key() + "\n" + query.serialize();
        SubscribeRequest r = new SubscribeRequest(ids.incrementAndGet(), query, view, key, patterns, client, resumeAfter, done);
        post(() -> registry.join(r));
        CompletableFuture.delayedExecutor(config.queryTimeout().toMillis() + ANSWER_GRACE_MILLIS, TimeUnit.MILLISECONDS).execute(
            () -> done.completeExceptionally(new LiveQueryException(LiveQueryException.Kind.BUSY, "The live query engine of dataset '"
                                                                    + dataset() + "' did not answer in time; try again later.")));
        return done;
    }

    /**
     * The answer of a live query on {@code data}, a state of this dataset the caller holds open
     * (an earlier version, for a subscription that replays history), already seen through the
     * subscriber's view; labelled {@code atVersion}. Evaluated on the calling thread, within the
     * query timeout and row limit of live queries.
     *
     * @throws LiveQueryException for a query that cannot be live, too many rows, or a timeout
     */
    public LiveResult evaluate(String queryString, DatasetGraph data, long atVersion) {
        return evaluator.evaluateOn(SubscribeRequest.parse(queryString), data, atVersion);
    }

    /** The limits of this dataset's live queries. */
    public LiveConfig config() {
        return config;
    }

    /** Run {@code r} on the engine thread. */
    private void post(Runnable r) {
        requests.add(r);
        wake();
    }

    /** Called by the costly threads with the first answer of {@code g} (or why there is none). */
    void firstAnswer(LiveGroup g, LiveResult answer, LiveQueryException failure) {
        post(() -> registry.firstAnswer(g, answer, failure));
    }

    /** Called by the costly threads: mark {@code g} costly or not. */
    void costly(LiveGroup g, boolean costly) {
        registry.costly(g, costly);
    }

    /** Called by the costly threads with a new answer of {@code g}: its subscribers get the change. */
    void notify(LiveGroup g, LiveResult next) {
        refresher.notify(g, next);
    }

    /** Called by the costly threads: end {@code g}, telling its subscribers why. */
    void endQuery(LiveGroup g, String why) {
        post(() -> registry.end(g, why));
    }

    /** A subscription closed by its client or an administrator leaves its query, and its place goes back. */
    void unsubscribe(Subscription s) {
        post(() -> registry.unsubscribe(s));
    }

    /** Open subscriptions: those {@link #subscriptions()} lists. */
    public int subscriptionCount() {
        return registry.subscriptionCount();
    }

    /** A connection serving subscriptions was cut off because its client did not read (counted for operators). */
    public void clientDropped() {
        droppedClients.incrementAndGet();
    }

    /** Connections serving subscriptions cut off since start-up because their client did not read. */
    public long droppedClientCount() {
        return droppedClients.get();
    }

    /** Places {@code client} holds against {@link LiveConfig#maxPerClient()}: its subscriptions and its requests not yet answered. */
    public int placesHeld(String client) {
        return counts.of(client);
    }

    /** Places held against {@link LiveConfig#maxSubscriptions()}: open subscriptions and requests not yet answered. */
    public int placesHeld() {
        return counts.total();
    }

    /** The open subscriptions, oldest first. */
    public List<Subscription> subscriptions() {
        return registry.subscriptions();
    }

    /**
     * Close subscription {@code id} for an administrator: its client gets a last {@code Error}
     * event saying so. False when there is no such open subscription.
     */
    public boolean close(long id) {
        Subscription s = registry.subscription(id);
        if ( s == null || !s.endWith(new LiveEvent.Error(version, "The subscription was closed by an administrator.")) )
            return false;
        unsubscribe(s);
        return true;
    }

    /** Distinct queries evaluated by the costly-query threads. */
    public int costlyQueryCount() {
        return registry.costlyQueryCount();
    }

    /** Distinct queries being kept up to date (or waiting for their first answer). */
    public int queryCount() {
        return registry.queryCount();
    }

    /**
     * The version the answers reflect now. A costly query may lag while commits keep arriving
     * (see {@link QueryRefresher#advance} and {@link CostlyLane}); its events carry the version its answer was computed at.
     */
    public long version() {
        return version;
    }

    /** The group's current answer, at the newest version it is known to hold for. */
    LiveResult answer(LiveGroup g) {
        return g.resultAt(version);
    }

    /** Time the last step spent finding affected queries, in nanoseconds. */
    public long lastMatchNanos() {
        return refresher.lastMatchNanos();
    }

    private void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    private void run() {
        LOG.info("Dataset '{}': live query engine started", dataset());
        try {
            while ( !stopping ) {
                synchronized (signal) {
                    // Idle until a commit is published or a request arrives (or a second passes).
                    if ( requests.isEmpty() && version >= 0 && log.publishedVersion() <= version && !stopping ) {
                        signal.wait(1000);
                        continue;
                    }
                }
                step();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error ex) {
            LOG.error("Dataset '{}': live query engine stopped at version {}: {}", dataset(), version, ex.toString(), ex);
            stopping = true;
            endAll("The live query engine stopped: " + ex);
        }
    }

    private void step() {
        long v = dsg.beginReadAtKnownVersion();
        try {
            if ( version >= 0 && v > version )
                refresher.advance(version, v);
            version = v;
            Runnable r;
            while ( !stopping && (r = requests.poll()) != null )
                r.run();
        } finally {
            dsg.end();
        }
    }

    /** Every subscriber gets a last error event and every place is given back; nothing is answered any more. */
    private void endAll(String why) {
        registry.endAll(why);
        List.copyOf(unanswered).forEach(f -> f.completeExceptionally(new LiveQueryException(LiveQueryException.Kind.BUSY, why)));
    }

    @Override
    public void close() {
        log.removePublishListener(wakeUp);
        stopping = true;
        wake();
        try {
            thread.join(10_000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        // The engine thread has ended: its state is this thread's now. Ending the queries aborts their evaluations.
        endAll("The server is stopping.");
        costly.close();
        LOG.info("Dataset '{}': live query engine stopped at version {}", dataset(), version);
    }
}
