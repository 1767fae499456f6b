package org.fusekicdc.fuseki.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.follow.FollowerStatus;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.metrics.CdcObserver;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.fuseki.rsp.ContinuousQueries;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.stream.FeedStreams;
import org.fusekicdc.live.LiveQueryEngine;

/**
 * The meters of one captured dataset, in Fuseki's registry (scraped at {@code /$/metrics}):
 * capture, the change log, each sink and source, live queries and configured continuous queries,
 * tagged {@code dataset} (and {@code sink}, {@code source}, {@code query}).
 * Names follow Prometheus conventions once Micrometer renders them ({@code fusekicdc_capture_transactions_total},
 * {@code fusekicdc_sink_lag_seconds}, ...); docs/operations.md lists them all.
 * <p>
 * Events arrive as a {@link CdcObserver}: counters and timers only, nothing per quad. Gauges
 * read the log, the sinks' status and the live engine when scraped.
 */
public final class CdcMeters implements CdcObserver, AutoCloseable {
    private static final Duration MIN_LATENCY = Duration.ofNanos(50_000);
    private static final Duration MAX_LATENCY = Duration.ofSeconds(60);

    private final MeterRegistry registry;
    private final DatasetRuntime runtime;
    private final Tags datasetTags;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter transactions;
    private final Counter quads;
    private final DistributionSummary patchSize;
    private final Timer captureTime;
    private final Timer logAppend;
    private final Timer storeCommit;
    private final Map<String, SinkMeters> sinks = new ConcurrentHashMap<>();
    private final Timer liveMatch;
    private final Timer liveEvaluation;
    private final Timer liveNotification;
    private final Timer readOpen;
    private final Counter readsDuringCommit;
    private final Counter readsWaited;

    private record SinkMeters(Timer publish, Counter transientErrors, Counter permanentErrors) {}

    /** Register the dataset's meters and start observing it. */
    public static CdcMeters bind(MeterRegistry registry, DatasetRuntime runtime) {
        CdcMeters m = new CdcMeters(registry, runtime);
        runtime.log().observe(m);
        runtime.follower().ifPresent(m::bindFollower);
        return m;
    }

    private CdcMeters(MeterRegistry registry, DatasetRuntime runtime) {
        this.registry = registry;
        this.runtime = runtime;
        this.datasetTags = Tags.of("dataset", runtime.name());
        ChangeLog log = runtime.log();

        transactions = add(Counter.builder("fusekicdc.capture.transactions").tags(datasetTags)
                                  .description("Write transactions captured: one patch each").register(registry));
        quads = add(Counter.builder("fusekicdc.capture.quads").tags(datasetTags)
                           .description("Quad changes (adds and deletes, net per transaction) captured").register(registry));
        patchSize = add(DistributionSummary.builder("fusekicdc.capture.patch.size").baseUnit("bytes").tags(datasetTags)
                                           .description("Size of each patch as written to the change log").register(registry));
        captureTime = add(latency(Timer.builder("fusekicdc.capture.overhead").tags(datasetTags)
                                       .description("Time capture adds to a commit: net effect, durable log append, publish (not the store's own commit)")));
        logAppend = add(latency(Timer.builder("fusekicdc.log.append").tags(datasetTags)
                                     .description("A write transaction's record, from its commit-time stamp to written and forced to the change log")));
        storeCommit = add(latency(Timer.builder("fusekicdc.store.commit").tags(datasetTags)
                                       .description("The store's own commit of a write transaction, after its record is in the change log")));

        gauge("fusekicdc.log.head.version", null, log, ChangeLog::publishedVersion, datasetTags, "Newest committed version");
        gauge("fusekicdc.log.oldest.version", null, log, ChangeLog::firstVersion, datasetTags, "Oldest version still in the change log (retention)");
        gauge("fusekicdc.log.size", "bytes", log, ChangeLog::sizeBytes, datasetTags, "Size of the change log on disk");

        for ( SinkRunner r : runtime.sinks().runners() )
            bindSink(r);
        for ( Source source : runtime.sources() )
            bindSource(source);

        liveMatch = add(latency(Timer.builder("fusekicdc.live.match").tags(datasetTags)
                                     .description("Live queries: time to find the queries a step's patches can affect")));
        liveEvaluation = add(latency(Timer.builder("fusekicdc.live.evaluation").tags(datasetTags)
                                          .description("Live queries: time to evaluate one affected query")));
        liveNotification = add(latency(Timer.builder("fusekicdc.live.notification.latency").tags(datasetTags)
                                            .description("Live queries: from a commit to its changes being handed to subscribers")));
        readOpen = add(latency(Timer.builder("fusekicdc.read.open").tags(datasetTags)
                                    .description("Reads at a known version (live and continuous queries, snapshots): time to open one, a wait for a store commit included")));
        readsDuringCommit = add(Counter.builder("fusekicdc.read.during.commit").tags(datasetTags)
                                       .description("Reads at a known version opened while a store commit was under way, showing the version before or after it")
                                       .register(registry));
        readsWaited = add(Counter.builder("fusekicdc.read.waited").tags(datasetTags)
                                 .description("Reads at a known version that waited for a store commit to be published").register(registry));
        gauge("fusekicdc.live.subscriptions", null, this, m -> m.live(LiveQueryEngine::subscriptionCount), datasetTags, "Open live query subscriptions");
        gauge("fusekicdc.live.queries", null, this, m -> m.live(LiveQueryEngine::queryCount), datasetTags, "Distinct live queries kept up to date");
        gauge("fusekicdc.live.costly.queries", null, this, m -> m.live(LiveQueryEngine::costlyQueryCount), datasetTags,
              "Distinct live queries evaluated by the costly-query threads");
        gauge("fusekicdc.feed.streams", null, this, m -> m.feed(FeedStreams::openCount), datasetTags, "Open live change feed streams (SSE)");
        for ( var q : runtime.streamSettings().queries() ) {
            String name = q.name();
            add(FunctionCounter.builder("fusekicdc.rsp.late.events", this, m -> m.configuredQueries(c -> c.configuredLateEvents(name)))
                               .tags(datasetTags.and("query", name))
                               .description("Configured continuous query: events that came too late for its event-time windows, since start-up")
                               .register(registry));
        }
        add(FunctionCounter.builder("fusekicdc.live.dropped", this, m -> m.runtime.startedLiveEngine().map(LiveQueryEngine::droppedClientCount).orElse(0L))
                           .tags(datasetTags)
                           .description("Live query streams and WebSockets disconnected because their client took nothing for cdc:slowReaderSeconds"
                                        + " or sent 1,000 messages without reading the replies")
                           .register(registry));
        add(FunctionCounter.builder("fusekicdc.feed.dropped", this, m -> m.feed(FeedStreams::droppedCount)).tags(datasetTags)
                           .description("Live change feed streams disconnected because their client took nothing for cdc:slowReaderSeconds")
                           .register(registry));
    }

    private void bindSink(SinkRunner r) {
        Tags tags = datasetTags.and("sink", r.name());
        gauge("fusekicdc.sink.cursor.version", null, r, x -> x.status().cursor(), tags, "Last version the sink delivered and acknowledged");
        gauge("fusekicdc.sink.lag.versions", null, r, x -> x.status().lagVersions(), tags, "Committed versions the sink has not delivered");
        gauge("fusekicdc.sink.lag", "seconds", r, x -> x.status().lagSeconds(), tags, "Age of the oldest patch the sink has not delivered; 0 when caught up");
        for ( SinkState s : SinkState.values() ) {
            gauge("fusekicdc.sink.state", null, r, x -> x.status().state() == s ? 1 : 0, tags.and("state", s.name().toLowerCase(Locale.ROOT)),
                  "1 for the sink's current state (running, retrying, paused, failed, stopped), 0 for the others");
        }
        add(FunctionCounter.builder("fusekicdc.sink.dead.lettered", r, x -> x.status().deadLettered()).tags(tags)
                           .description("Patches written to the sink's dead-letter directory").register(registry));
        Timer publish = add(latency(Timer.builder("fusekicdc.sink.publish").tags(tags)
                                         .description("Time to deliver one patch to the sink's destination, acknowledgement included")));
        Counter tr = add(Counter.builder("fusekicdc.sink.errors").tags(tags.and("kind", "transient"))
                                .description("Failed deliveries: transient (retried) or permanent (paused or dead-lettered)").register(registry));
        Counter pe = add(Counter.builder("fusekicdc.sink.errors").tags(tags.and("kind", "permanent"))
                                .description("Failed deliveries: transient (retried) or permanent (paused or dead-lettered)").register(registry));
        sinks.put(r.name(), new SinkMeters(publish, tr, pe));
    }

    /** A source's state, and since when it is in it (a source that reconnects shows retrying). */
    private void bindSource(Source source) {
        Tags tags = datasetTags.and("source", source.name());
        for ( SourceStatus.State s : SourceStatus.State.values() ) {
            gauge("fusekicdc.source.state", null, source, x -> x.status().state() == s ? 1 : 0, tags.and("state", s.name().toLowerCase(Locale.ROOT)),
                  "1 for the source's current state (starting, running, retrying, failed, stopped), 0 for the others");
        }
        gauge("fusekicdc.source.state.since", "seconds", source, x -> sinceSeconds(x.status()), tags,
              "When the source entered its current state, Unix time");
    }

    private static double sinceSeconds(SourceStatus s) {
        return s.since() == null ? Double.NaN : s.since().toEpochMilli() / 1000.0;
    }

    /**
     * This dataset follows a leader: export how far behind it is, as
     * {@code fusekicdc_follower_lag_versions} (seen on the source, not yet applied) and
     * {@code fusekicdc_follower_lag_seconds} (age of the oldest version read from the source and
     * not yet applied, 0 when caught up; while cut off, at least the time since it last heard), and
     * whether it can read its source, as {@code fusekicdc_follower_unreachable} and
     * {@code fusekicdc_follower_last_heard_age_seconds}; tagged {@code dataset} and {@code follower} (the source).
     */
    private void bindFollower(Follower f) {
        Tags tags = datasetTags.and("follower", f.status().topic());
        gauge("fusekicdc.follower.lag.versions", null, f, x -> x.status().lagVersions(), tags, "Versions the follower has not applied");
        gauge("fusekicdc.follower.lag", "seconds", f, x -> x.status().lagMillis() / 1000.0, tags,
              "Age of the oldest version read from the source and not yet applied (from the leader's commit); 0 when caught up;"
              + " while cut off from the source, at least the time since the follower last heard from it");
        gauge("fusekicdc.follower.unreachable", null, f, x -> x.status().state() == FollowerState.UNREACHABLE ? 1 : 0, tags,
              "1 while the follower is cut off from its source (broker down or unreachable, reads failing or stalled), else 0");
        gauge("fusekicdc.follower.last.heard.age", "seconds", f, CdcMeters::secondsSinceHeard, tags,
              "Time since a read of the source last succeeded (returned a patch or confirmed the end); NaN while none has");
    }

    private static double secondsSinceHeard(Follower f) {
        FollowerStatus s = f.status();
        return s.lastHeard() == null ? Double.NaN : Math.max(0, System.currentTimeMillis() - s.lastHeard().toEpochMilli()) / 1000.0;
    }

    private double live(java.util.function.ToIntFunction<LiveQueryEngine> f) {
        return runtime.startedLiveEngine().map(f::applyAsInt).orElse(0);
    }

    private double configuredQueries(java.util.function.ToDoubleFunction<ContinuousQueries> f) {
        return runtime.startedContinuousQueries().map(f::applyAsDouble).orElse(0.0);
    }

    private double feed(java.util.function.ToDoubleFunction<FeedStreams> f) {
        return runtime.openedFeedStreams().map(f::applyAsDouble).orElse(0.0);
    }

    private <T> void gauge(String name, String unit, T obj, ToDoubleFunction<T> f, Tags tags, String description) {
        add(Gauge.builder(name, obj, f).baseUnit(unit).tags(tags).description(description).strongReference(true).register(registry));
    }

    private Timer latency(Timer.Builder b) {
        return b.publishPercentileHistogram().minimumExpectedValue(MIN_LATENCY).maximumExpectedValue(MAX_LATENCY).register(registry);
    }

    private synchronized <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
    }

    @Override
    public void captured(long version, long quadChanges, long patchBytes, long captureNanos) {
        transactions.increment();
        quads.increment(quadChanges);
        patchSize.record(patchBytes);
        captureTime.record(captureNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void committed(long version, long appendNanos, long storeNanos) {
        logAppend.record(appendNanos, TimeUnit.NANOSECONDS);
        storeCommit.record(storeNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void delivered(String sink, long version, long publishNanos) {
        SinkMeters m = sinks.get(sink);
        if ( m != null )
            m.publish().record(publishNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void deliveryFailed(String sink, long version, boolean permanent) {
        SinkMeters m = sinks.get(sink);
        if ( m != null )
            (permanent ? m.permanentErrors() : m.transientErrors()).increment();
    }

    @Override
    public void liveMatched(long matchNanos) {
        liveMatch.record(matchNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void liveEvaluated(long nanos) {
        liveEvaluation.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void liveNotified(long version, long latencyMillis) {
        liveNotification.record(latencyMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void knownVersionRead(long openNanos, boolean duringCommit, boolean waited) {
        readOpen.record(openNanos, TimeUnit.NANOSECONDS);
        if ( duringCommit )
            readsDuringCommit.increment();
        if ( waited )
            readsWaited.increment();
    }

    /** Stop observing the dataset and remove its meters from the registry. */
    @Override
    public synchronized void close() {
        if ( runtime.log().observer() == this )
            runtime.log().observe(null);
        meters.forEach(registry::remove);
        meters.clear();
    }
}
