package org.fusekicdc.fuseki.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.jena.fuseki.Fuseki;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.follow.FollowerStatus;
import org.fusekicdc.core.internal.follow.PromotionRecord;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.internal.history.HistoryIndex;
import org.fusekicdc.core.internal.history.HistorySnapshots;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.fuseki.config.CapturedDatasetSettings;
import org.fusekicdc.fuseki.config.FeedSettings;
import org.fusekicdc.fuseki.config.LdesSettings;
import org.fusekicdc.fuseki.config.LiveSettings;
import org.fusekicdc.fuseki.config.ReplicaReadSettings;
import org.fusekicdc.fuseki.config.StreamSettings;
import org.fusekicdc.fuseki.rsp.ContinuousQueries;
import org.fusekicdc.fuseki.stream.FeedStreams;
import org.fusekicdc.fuseki.stream.ResponseStreams;
import org.fusekicdc.live.ClientCounts;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.LiveQueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one captured dataset runs with: the dataset and its change log, its settings, its
 * sinks, its follower or sources, and the live query engine and streams its endpoints open. The
 * assembler builds it ({@link AssemblerCapturedDataset}), every endpoint finds it through
 * {@link DatasetRuntimes}, the module starts it with the server ({@link #start()}) and closes it
 * when the server stops ({@link #close()}).
 */
public final class DatasetRuntime implements AutoCloseable {
    /** Where the runtime is in its life: built, started with a server, closed for good. */
    public enum State { CREATED, STARTED, CLOSED }

    private static final Logger LOG = LoggerFactory.getLogger(DatasetRuntime.class);
    // Fuseki's own configuration logger, so that the start-up summary shows with Fuseki's default logging setup.
    private static final Logger START_LOG = Fuseki.configLog;

    private final CapturedDatasetSettings settings;
    private final CapturingDatasetGraph dataset;
    private final SinkRunners sinks;
    // Null for a leader; set to null when the follower is promoted.
    private volatile Follower follower;
    private final List<Source> sources;
    private final HistorySnapshots historySnapshots;
    private final HistoryIndex historyIndex;
    private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);
    private final VersionWaits versionWaits;
    // Set up on first use: most datasets never serve a live query or a feed stream.
    /** Places against cdc:liveMaxSubscriptions and cdc:liveMaxPerClient, held by live and continuous queries alike. */
    private final ClientCounts livePlaces;
    private LiveQueryEngine liveEngine;
    private FeedStreams feedStreams;
    private ResponseStreams responseStreams;
    private ContinuousQueries continuousQueries;

    /** @param historySnapshots the dataset's history copies ({@code cdc:historySnapshotEvery}), or null when it keeps none */
    DatasetRuntime(CapturedDatasetSettings settings, CapturingDatasetGraph dataset, HistorySnapshots historySnapshots, SinkRunners sinks,
                   Follower follower, List<Source> sources) {
        this.settings = settings;
        this.dataset = dataset;
        this.historySnapshots = historySnapshots;
        this.sinks = sinks;
        this.follower = follower;
        this.sources = List.copyOf(sources);
        this.livePlaces = new ClientCounts(settings.live().engineConfig(), dataset.datasetName());
        this.versionWaits = new VersionWaits(dataset, () -> ReplicaLag.of(this), settings.replicaReads());
        // Opened with the dataset, so that it follows every version from the first write on.
        this.historyIndex = settings.history().index() ? HistoryIndex.open(dataset.changeLog()) : null;
        // Another server was promoted: stop taking writes at once (reads go on); the runbook says how to rejoin.
        sinks.onFenced(reason -> {
            dataset.setFollowerOf(reason);
            LOG.error("{} Writes are refused from now on.", reason);
        });
    }

    /** The dataset's history copies for as-of reads ({@code cdc:historySnapshotEvery}), or null when it keeps none. */
    public HistorySnapshots historySnapshots() {
        return historySnapshots;
    }

    public String name() {
        return dataset.datasetName();
    }

    public CapturingDatasetGraph dataset() {
        return dataset;
    }

    public ChangeLog log() {
        return dataset.changeLog();
    }

    /** Which versions touched each subject: resource history and revert; empty with {@code cdc:historyIndex false}. */
    public Optional<HistoryIndex> historyIndex() {
        return Optional.ofNullable(historyIndex);
    }

    public SinkRunners sinks() {
        return sinks;
    }

    /** The follower when this dataset follows a leader ({@code cdc:follow}). */
    public Optional<Follower> follower() {
        return Optional.ofNullable(follower);
    }

    public List<Source> sources() {
        return sources;
    }

    public FeedSettings feedSettings() {
        return settings.feed();
    }

    public LdesSettings ldesSettings() {
        return settings.ldes();
    }

    /** Read-your-writes waits and readiness bounds. */
    public ReplicaReadSettings replicaReadSettings() {
        return settings.replicaReads();
    }

    /** Where reads that ask for a version wait for it. */
    public VersionWaits versionWaits() {
        return versionWaits;
    }

    public LiveSettings liveSettings() {
        return settings.live();
    }

    /** Where snapshots are written and large responses spooled ({@code cdc:snapshotDirectory}). */
    public Path snapshotDirectory() {
        return settings.snapshotDirectory();
    }

    /** The users who may administer the dataset ({@code cdc:adminUsers}). */
    public Set<String> adminUsers() {
        return settings.adminUsers();
    }

    /** The live query engine, started on first use. */
    public synchronized LiveQueryEngine liveEngine() {
        if ( liveEngine == null )
            liveEngine = new LiveQueryEngine(dataset, settings.live().engineConfig(), livePlaces);
        return liveEngine;
    }

    /** The live query engine if a live query has started it. */
    public synchronized Optional<LiveQueryEngine> startedLiveEngine() {
        return Optional.ofNullable(liveEngine);
    }

    public StreamSettings streamSettings() {
        return settings.streams();
    }

    /**
     * The continuous queries: started with the server when some are configured, else on the
     * first HTTP registration.
     */
    public synchronized ContinuousQueries continuousQueries() {
        if ( continuousQueries == null ) {
            if ( state.get() == State.CLOSED )
                throw new LiveQueryException(LiveQueryException.Kind.BUSY, "Dataset '" + name() + "' is closed: the server is stopping.");
            continuousQueries = new ContinuousQueries(dataset, settings.streams(), historySnapshots, livePlaces);
            continuousQueries.start();
        }
        return continuousQueries;
    }

    /** The continuous queries if any were started. */
    public synchronized Optional<ContinuousQueries> startedContinuousQueries() {
        return Optional.ofNullable(continuousQueries);
    }

    /** The change feed's live streams, set up on first use. */
    public synchronized FeedStreams feedStreams() {
        if ( feedStreams == null )
            feedStreams = new FeedStreams(log(), settings.feed());
        return feedStreams;
    }

    /** The change feed's live streams if one was ever opened. */
    public synchronized Optional<FeedStreams> openedFeedStreams() {
        return Optional.ofNullable(feedStreams);
    }

    /** Responses (pages, snapshots) sent without holding a request thread, set up on first use. */
    public synchronized ResponseStreams responseStreams() {
        if ( responseStreams == null )
            responseStreams = new ResponseStreams(name(), settings.feed());
        return responseStreams;
    }

    /**
     * What a promotion did, or why it was refused.
     *
     * @param version     the promotion record's version when promoted, else the follower's applied version
     * @param lagVersions how many versions seen on the topic the follower had not applied
     * @param onTopic     whether the promotion record is on the destination of every sink that publishes the
     *                    replica set's log (so the old leader is fenced); null when not promoted
     */
    public record Promotion(boolean promoted, String message, long version, long leaderVersion, long lagVersions, Boolean onTopic) {}

    /**
     * Make this follower the dataset's leader: stop following, take writes, commit the promotion
     * record ({@link PromotionRecord}) and start the sinks that publish the replica set's log
     * (whose transactional producer fences a running old leader), then wait, up to their
     * {@code cdc:acknowledgeTimeoutMillis}, until the record is on their destination: from then on
     * an old leader that restarts is fenced too. Refused while the follower has not applied every
     * version it has seen on its topic, or is not following, unless {@code force}.
     */
    public synchronized Promotion promote(boolean force) throws InterruptedException {
        Follower f = follower;
        if ( f == null ) {
            long v = log().publishedVersion();
            return new Promotion(false, "Dataset '" + name() + "' is not a follower: it is the leader already (version " + v + ")", v, v, 0, null);
        }
        FollowerStatus status = f.status();
        boolean caughtUp = status.state() == FollowerState.FOLLOWING && status.lagVersions() == 0;
        if ( !caughtUp && !force )
            return new Promotion(false, "Dataset '" + name() + "' is not promoted: the follower is " + status.state() + " at version " + status.appliedVersion()
                                        + ", " + status.lagVersions() + " version(s) behind the newest seen on " + status.topic()
                                        + (status.lastError() == null ? "" : " (last error: " + status.lastError() + ")")
                                        + ". Wait until it has applied everything, or add force=true to promote it anyway (writes the leader acknowledged after"
                                        + " version " + status.appliedVersion() + " are then lost)", status.appliedVersion(), status.leaderVersion(),
                                 status.lagVersions(), null);
        f.close();
        follower = null;
        long applied = log().publishedVersion();
        long lag = Math.max(0, status.leaderVersion() - applied);
        dataset.setFollowerOf(null);
        RecordMeta record = PromotionRecord.commit(dataset);
        sinks.start();
        LOG.warn("Dataset '{}': promoted to leader after version {}{} (it followed {}); promotion record version {} (patch {}); sinks started: {}", name(),
                 applied, caughtUp ? "" : " by force, " + lag + " version(s) behind", status.topic(), record.version(), record.id(),
                 sinks.runners().stream().map(SinkRunner::name).toList());
        Optional<String> notOnTopic = sinks.awaitAcknowledged(record.version());
        notOnTopic.ifPresent(why -> LOG.warn("Dataset '{}': the promotion record (version {}) is not on the replica set's topic yet, so an old leader"
                                             + " restarted now is not fenced: {}", name(), record.version(), why));
        String message = "Dataset '" + name() + "' is the leader now, at version " + record.version() + " (its promotion record)"
                         + notOnTopic.map(why -> "; the promotion record is not on the topic yet, so an old leader restarted now is not fenced: " + why)
                                     .orElse("");
        return new Promotion(true, message, record.version(), status.leaderVersion(), lag, notOnTopic.isEmpty());
    }

    public State state() {
        return state.get();
    }

    /** Start the sinks, sources and follower: the server is starting. Only a runtime just built starts. */
    public void start() {
        if ( !state.compareAndSet(State.CREATED, State.STARTED) ) {
            LOG.warn("Dataset '{}': not started: it is {} already", name(), state.get());
            return;
        }
        LOG.debug("Dataset '{}': starting", name());
        if ( !sinks.isEmpty() ) {
            if ( follower != null )
                sinks.startFollowing();
            else
                sinks.start();
            START_LOG.info("Dataset '{}': sink(s) started: {}{}", name(),
                           sinks.runners().stream().filter(SinkRunner::isStarted).map(r -> r.name() + " after version " + r.status().cursor()).toList(),
                           follower == null ? "" : "; starting on promotion: "
                                                   + sinks.runners().stream().filter(r -> !r.isStarted()).map(SinkRunner::name).toList());
        }
        for ( Source source : sources ) {
            source.start();
            START_LOG.info("Dataset '{}': source '{}' started ({})", name(), source.name(), source.status().state());
        }
        if ( follower != null )
            follower.start();
        if ( !settings.streams().queries().isEmpty() ) {
            continuousQueries();
            START_LOG.info("Dataset '{}': continuous queries started: {}", name(),
                           settings.streams().queries().stream().map(q -> q.name()).toList());
        }
        if ( historySnapshots != null ) {
            historySnapshots.start();
            START_LOG.info("Dataset '{}': history copies every {} versions, {} kept (now at versions {})", name(), settings.history().every(),
                           settings.history().kept(), historySnapshots.versions());
        }
    }

    /**
     * Stop everything, in order, each step bounded (runners and followers wait a bounded time for
     * their threads): sources and the follower first, since they write into the dataset; then the
     * sinks, the live engine and the open streams; the change log last.
     */
    @Override
    public void close() {
        State was = state.getAndSet(State.CLOSED);
        if ( was == State.CLOSED )
            return;
        LOG.debug("Dataset '{}': closing ({})", name(), was);
        sources.forEach(s -> closeStep("source '" + s.name() + "'", s::close));
        if ( follower != null )
            closeStep("follower", follower::close);
        // They write view graphs into the dataset, as sources do.
        ContinuousQueries queries;
        synchronized (this) {
            queries = continuousQueries;
            continuousQueries = null;
        }
        if ( queries != null )
            closeStep("continuous queries", queries::close);
        closeStep("sinks", sinks::close);
        if ( historySnapshots != null )
            closeStep("history copies", historySnapshots::close);
        LiveQueryEngine engine;
        FeedStreams feeds;
        ResponseStreams responses;
        synchronized (this) {
            engine = liveEngine;
            feeds = feedStreams;
            responses = responseStreams;
            liveEngine = null;
            feedStreams = null;
            responseStreams = null;
        }
        if ( engine != null )
            closeStep("live query engine", engine::close);
        if ( feeds != null )
            closeStep("change feed streams", feeds::close);
        if ( responses != null )
            closeStep("responses", responses::close);
        if ( historyIndex != null )
            closeStep("history index", historyIndex::close);
        closeStep("change log", log()::close);
        LOG.info("Dataset '{}': closed (sources, follower, sinks, continuous queries, live queries, streams, history index, change log)", name());
    }

    /** One step of {@link #close()}: a failure is logged, and the steps after it still run. */
    private void closeStep(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException ex) {
            LOG.error("Dataset '{}': closing the {} failed; closing the rest: {}", name(), what, ex.toString(), ex);
        }
    }
}
