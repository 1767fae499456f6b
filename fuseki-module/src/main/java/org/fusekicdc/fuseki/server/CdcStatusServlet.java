package org.fusekicdc.fuseki.server;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.follow.Follower;
import org.fusekicdc.core.follow.FollowerStatus;
import org.fusekicdc.core.sink.Dispatcher;
import org.fusekicdc.core.sink.SinkStatus;

/**
 * {@code GET /$/cdc}: the state of capture on this server as JSON: per captured dataset the
 * change log's head and oldest version and size, and each sink's state, cursor, lag and
 * last error.
 */
final class CdcStatusServlet extends HttpServlet {
    private final List<CapturingDatasetGraph> datasets;

    CdcStatusServlet(List<CapturingDatasetGraph> datasets) {
        this.datasets = datasets;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        JsonArray list = new JsonArray();
        for ( CapturingDatasetGraph dsg : datasets )
            list.add(dataset(dsg));
        JsonObject root = new JsonObject();
        root.put("datasets", list);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-cache");
        try (OutputStream out = resp.getOutputStream()) {
            JSON.write(out, root);
        }
    }

    private static JsonObject dataset(CapturingDatasetGraph dsg) {
        ChangeLog log = dsg.changeLog();
        JsonObject o = new JsonObject();
        o.put("name", dsg.datasetName());
        o.put("headVersion", log.publishedVersion());
        o.put("oldestVersion", log.firstVersion());
        o.put("logBytes", log.sizeBytes());
        o.put("logDirectory", log.config().directory().toString());
        JsonArray sinks = new JsonArray();
        Dispatcher d = FMod_FusekiCdc.dispatcher(dsg);
        if ( d != null ) {
            for ( SinkStatus s : d.status() )
                sinks.add(sink(s));
        }
        o.put("sinks", sinks);
        Follower f = FMod_FusekiCdc.follower(dsg);
        if ( f != null )
            o.put("follower", follower(f.status()));
        return o;
    }

    private static JsonObject follower(FollowerStatus s) {
        JsonObject o = new JsonObject();
        o.put("state", s.state().name().toLowerCase(java.util.Locale.ROOT));
        o.put("source", s.source());
        o.put("appliedVersion", s.appliedVersion());
        o.put("leaderVersion", s.leaderVersion());
        o.put("lagVersions", s.lagVersions());
        o.put("lagMillis", s.lagMillis());
        if ( s.lastError() != null )
            o.put("lastError", s.lastError());
        return o;
    }

    private static JsonObject sink(SinkStatus s) {
        JsonObject o = new JsonObject();
        o.put("name", s.sink());
        o.put("state", s.state().name().toLowerCase(java.util.Locale.ROOT));
        o.put("cursor", s.cursor());
        o.put("lagVersions", s.lagVersions());
        if ( !Double.isNaN(s.lagSeconds()) )
            o.put("lagSeconds", org.apache.jena.atlas.json.JsonNumber.value(Math.round(s.lagSeconds() * 1000) / 1000.0));
        if ( s.lastError() != null ) {
            o.put("lastError", s.lastError());
            o.put("lastErrorTime", s.lastErrorTime().toString());
        }
        o.put("deadLettered", s.deadLettered());
        return o;
    }
}
