package org.fusekicdc.fuseki.server;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonNumber;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.fuseki.access.AdminAccess;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogDamage;
import org.fusekicdc.core.internal.follow.FollowerStatus;
import org.fusekicdc.core.internal.log.Retention;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.sink.internal.OrphanedReaders;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.fuseki.rsp.ContinuousQueries;
import org.fusekicdc.fuseki.stream.FeedStreams;
import org.fusekicdc.rsp.QueryStatus;
import org.fusekicdc.fuseki.runtime.CapturedService;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceStatus;

/**
 * {@code GET /$/cdc}: the state of capture on this server as JSON: per captured dataset its
 * endpoints, the change log's head and oldest version, the oldest version as-of reads reach, and the live query counts; for the
 * dataset's admins ({@link AdminAccess}) also the log's size, directory and retention, each
 * sink's state, cursor, lag and last error, the readers no configured sink owns
 * ({@link OrphanedReaders}), the follower and the sources; and where the dashboard is.
 */
final class CdcStatusServlet extends HttpServlet {
    private final List<CapturedService> services;
    private final String dashboardPath;

    CdcStatusServlet(List<CapturedService> services, String dashboardPath) {
        this.services = services;
        this.dashboardPath = dashboardPath;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        JsonArray list = new JsonArray();
        List<DatasetRuntime> seen = new ArrayList<>();
        for ( CapturedService s : services ) {
            if ( seen.contains(s.runtime()) )
                continue;
            seen.add(s.runtime());
            // Of the services of one dataset (say a reader and a writer service), the one with live queries, for the dashboard.
            CapturedService shown = services.stream().filter(o -> o.runtime() == s.runtime() && o.live() != null).findFirst().orElse(s);
            list.add(dataset(shown, AdminAccess.isAdmin(req, s.runtime().adminUsers())));
        }
        JsonObject root = new JsonObject();
        root.put("dashboard", dashboardPath);
        root.put("datasets", list);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-cache");
        try (OutputStream out = resp.getOutputStream()) {
            JSON.write(out, root);
        }
    }

    /** What everyone may see of a dataset: its name, endpoints, versions and live counts; the rest for its admins only. */
    private static JsonObject dataset(CapturedService svc, boolean admin) {
        DatasetRuntime runtime = svc.runtime();
        ChangeLog log = runtime.log();
        JsonObject o = new JsonObject();
        o.put("name", runtime.name());
        o.put("admin", admin);
        JsonObject endpoints = new JsonObject();
        endpoints.put("service", svc.service());
        if ( svc.live() != null )
            endpoints.put("live", svc.live());
        if ( svc.changes() != null )
            endpoints.put("changes", svc.changes());
        o.put("endpoints", endpoints);
        o.put("epoch", log.epoch());
        o.put("headVersion", log.publishedVersion());
        o.put("oldestVersion", log.firstVersion());
        o.put("oldestReachableVersion", AsOfRead.oldestReachable(log));
        if ( runtime.historySnapshots() != null ) {
            JsonArray copies = new JsonArray();
            runtime.historySnapshots().versions().forEach(v -> copies.add(v));
            o.put("historySnapshots", copies);
        }
        JsonObject live = new JsonObject();
        LiveQueryEngine e = runtime.startedLiveEngine().orElse(null);
        live.put("subscriptions", e == null ? 0 : e.subscriptionCount());
        live.put("queries", e == null ? 0 : e.queryCount());
        live.put("dropped", e == null ? 0 : e.droppedClientCount());
        if ( e != null && e.version() >= 0 )
            live.put("version", e.version());
        o.put("live", live);
        JsonObject feed = new JsonObject();
        FeedStreams streams = runtime.openedFeedStreams().orElse(null);
        feed.put("streams", streams == null ? 0 : streams.openCount());
        feed.put("dropped", streams == null ? 0 : streams.droppedCount());
        o.put("feed", feed);
        runtime.startedContinuousQueries().ifPresent(q -> o.put("continuousQueries", continuousQueries(q)));
        JsonArray sinks = new JsonArray();
        o.put("sinks", sinks);
        if ( !admin )
            return o;
        o.put("logBytes", log.sizeBytes());
        o.put("logDirectory", log.config().directory().toString());
        o.put("retention", retention(log.config().retention()));
        runtime.historyIndex().ifPresent(index -> {
            JsonObject history = new JsonObject();
            history.put("indexedVersion", index.indexedVersion());
            history.put("bytes", index.sizeBytes());
            o.put("historyIndex", history);
        });
        LogDamage damage = log.damage();
        if ( damage != null )
            o.put("damage", damage(damage));
        SinkRunners d = runtime.sinks();
        for ( SinkStatus s : d.status() )
            sinks.add(sink(s));
        JsonArray orphans = new JsonArray();
        for ( OrphanedReaders.Orphan r : OrphanedReaders.find(log, d) )
            orphans.add(orphan(r));
        o.put("orphanedReaders", orphans);
        runtime.follower().ifPresent(f -> o.put("follower", follower(f.status())));
        JsonArray sources = new JsonArray();
        for ( Source source : runtime.sources() ) {
            SourceStatus st = source.status();
            JsonObject so = new JsonObject();
            so.put("name", st.source());
            so.put("type", st.type());
            so.put("state", st.state().name().toLowerCase(java.util.Locale.ROOT));
            if ( st.message() != null )
                so.put("message", st.message());
            if ( st.since() != null )
                so.put("since", st.since().toString());
            if ( st.position() != null )
                so.put("position", st.position());
            so.put("transactions", st.transactions());
            so.put("rows", st.rows());
            sources.add(so);
        }
        o.put("sources", sources);
        return o;
    }

    /** Each continuous query running on the dataset, configured or registered over HTTP, with what it has done since start-up. */
    private static JsonArray continuousQueries(ContinuousQueries queries) {
        JsonArray a = new JsonArray();
        java.util.Set<String> isolated = queries.isolatedQueries();
        for ( QueryStatus s : queries.status() ) {
            JsonObject q = new JsonObject();
            q.put("name", s.query());
            q.put("steps", s.steps());
            q.put("lastStep", s.lastStep());
            q.put("lateEvents", s.lateEvents());
            q.put("windowQuads", s.windowQuads());
            q.put("incremental", s.incremental());
            q.put("ownThread", isolated.contains(s.query()));
            a.add(q);
        }
        return a;
    }

    private static JsonObject follower(FollowerStatus s) {
        JsonObject o = new JsonObject();
        o.put("state", s.state().name().toLowerCase(java.util.Locale.ROOT));
        o.put("topic", s.topic());
        o.put("appliedVersion", s.appliedVersion());
        o.put("leaderVersion", s.leaderVersion());
        o.put("lagVersions", s.lagVersions());
        o.put("lagMillis", s.lagMillis());
        if ( s.lastError() != null )
            o.put("lastError", s.lastError());
        if ( s.lastHeard() != null )
            o.put("lastHeard", s.lastHeard().toString());
        if ( s.unreachableSince() != null )
            o.put("unreachableSince", s.unreachableSince().toString());
        return o;
    }

    private static JsonObject damage(LogDamage d) {
        JsonObject o = new JsonObject();
        o.put("segment", d.segment().toString());
        o.put("version", d.version());
        o.put("offset", d.offset());
        o.put("problem", d.problem());
        return o;
    }

    private static JsonObject retention(Retention r) {
        JsonObject o = new JsonObject();
        o.put("maxVersions", r.maxVersions());
        if ( r.maxAge() != null )
            o.put("maxAge", r.maxAge().toString());
        o.put("maxBytes", r.maxBytes());
        o.put("overridesReaders", r.overrideReaders());
        return o;
    }

    private static JsonObject orphan(OrphanedReaders.Orphan r) {
        JsonObject o = new JsonObject();
        o.put("name", r.name());
        o.put("acknowledged", r.acknowledged());
        o.put("heldVersions", r.heldVersions());
        o.put("heldBytes", r.heldBytes());
        return o;
    }

    private static JsonObject sink(SinkStatus s) {
        JsonObject o = new JsonObject();
        o.put("name", s.sink());
        o.put("state", s.state().name().toLowerCase(Locale.ROOT));
        o.put("cursor", s.cursor());
        o.put("lagVersions", s.lagVersions());
        if ( !Double.isNaN(s.lagSeconds()) )
            o.put("lagSeconds", JsonNumber.value(Math.round(s.lagSeconds() * 1000) / 1000.0));
        if ( s.lastError() != null ) {
            o.put("lastError", s.lastError());
            o.put("lastErrorTime", s.lastErrorTime().toString());
        }
        o.put("deadLettered", s.deadLettered());
        return o;
    }
}
