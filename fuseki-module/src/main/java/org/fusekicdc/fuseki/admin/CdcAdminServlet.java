package org.fusekicdc.fuseki.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.fuseki.Fuseki;
import org.apache.jena.riot.WebContent;
import org.apache.jena.riot.out.NodeFmtLib;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.HistoryIndex;
import org.fusekicdc.core.internal.history.Revert;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ReaderCursor;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.sink.internal.OrphanedReaders;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.internal.snapshot.Snapshot;
import org.fusekicdc.fuseki.access.AdminAccess;
import org.fusekicdc.fuseki.runtime.CapturedService;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.stream.SpooledBody;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.Subscription;
import org.slf4j.Logger;

/**
 * {@code /$/cdc/*}: the dashboard page, and the admin operations on captured datasets:
 * <pre>
 * POST   /$/cdc/{dataset}/sinks/{sink}/pause
 * POST   /$/cdc/{dataset}/sinks/{sink}/resume
 * POST   /$/cdc/{dataset}/sinks/{sink}/rewind?version=N   deliver again after version N
 * DELETE /$/cdc/{dataset}/readers/{reader}                 forget a reader no configured sink owns ({@link OrphanedReaders})
 * GET    /$/cdc/{dataset}/snapshot                        the dataset at one version, as N-Quads
 * POST   /$/cdc/{dataset}/snapshot                        the same, written to cdc:snapshotDirectory
 * POST   /$/cdc/{dataset}/revert?version=V[&dryRun=true]  undo version V as a new transaction ({@link Revert})
 * GET    /$/cdc/{dataset}/subscriptions                   open live query subscriptions
 * DELETE /$/cdc/{dataset}/subscriptions/{id}              close one
 * </pre>
 * Admin operations are for the dataset's admins ({@link AdminAccess}); a user who is not one may
 * list and close only the live subscriptions made as that user. Each operation, allowed or
 * refused, is logged to Fuseki's admin log with who, what and the dataset.
 */
public final class CdcAdminServlet extends HttpServlet {
    // Fuseki's admin log: printed at INFO by Fuseki's default logging set-up, unlike other loggers.
    private static final Logger LOG = Fuseki.adminLog;
    private static final Map<String, String> PAGES = Map.of("/dashboard", "dashboard.html|text/html",
                                                            "/dashboard.js", "dashboard.js|text/javascript",
                                                            "/dashboard.css", "dashboard.css|text/css");

    private final List<CapturedService> services;

    public CdcAdminServlet(List<CapturedService> services) {
        this.services = services;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getPathInfo() == null ? "" : req.getPathInfo();
        String method = req.getMethod();
        if ( method.equals("GET") && PAGES.containsKey(path) ) {
            page(PAGES.get(path), resp);
            return;
        }
        String[] parts = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty())
                               .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toArray(String[]::new);
        if ( parts.length < 2 ) {
            error(resp, 404, "No such cdc admin resource: " + path + ". See " + req.getContextPath() + "/$/cdc for the status and the dashboard link.");
            return;
        }
        String op = method + " " + req.getRequestURI() + (req.getQueryString() == null ? "" : "?" + req.getQueryString());
        Optional<CapturedService> svc = services.stream().filter(s -> s.name().equals(parts[0])).findFirst();
        if ( svc.isEmpty() ) {
            error(resp, 404, "No captured dataset '" + parts[0] + "'.");
            return;
        }
        DatasetRuntime runtime = svc.get().runtime();
        boolean admin = AdminAccess.isAdmin(req, runtime.adminUsers());
        // Authenticated users may list and close their own live subscriptions; everything else is for the admin.
        boolean ownSubscriptions = parts[1].equals("subscriptions") && req.getRemoteUser() != null;
        if ( !admin && !ownSubscriptions ) {
            LOG.warn("fuseki-cdc admin: {} by {} refused: not an admin of dataset '{}'", op, AdminAccess.who(req), runtime.name());
            error(resp, 403, AdminAccess.refusal(req, runtime.name(), runtime.adminUsers()));
            return;
        }
        try {
            switch (parts[1]) {
                case "sinks" -> sink(req, resp, op, runtime, parts);
                case "readers" -> reader(req, resp, op, runtime, parts);
                case "snapshot" -> snapshot(req, resp, op, runtime, parts);
                case "revert" -> revert(req, resp, op, runtime, parts);
                case "promote" -> promote(req, resp, op, runtime, parts);
                case "subscriptions" -> subscriptions(req, resp, op, runtime, parts, admin);
                default -> error(resp, 404, "No such cdc admin resource: " + path);
            }
        } catch (BadRequest ex) {
            LOG.info("fuseki-cdc admin: {} by {} rejected: {}", op, AdminAccess.who(req), ex.getMessage());
            error(resp, ex.status, ex.getMessage());
        }
    }

    private static final class BadRequest extends RuntimeException {
        final int status;

        BadRequest(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private static void require(boolean condition, int status, String message) {
        if ( !condition )
            throw new BadRequest(status, message);
    }

    // ---- Sinks

    private static void sink(HttpServletRequest req, HttpServletResponse resp, String op, DatasetRuntime runtime, String[] parts) throws IOException {
        CapturingDatasetGraph dsg = runtime.dataset();
        require(parts.length == 4, 404, "Sink operations are POST /$/cdc/{dataset}/sinks/{sink}/pause, resume or rewind?version=N");
        require(req.getMethod().equals("POST"), 405, "Sink operations are POSTs");
        SinkRunners d = runtime.sinks();
        Optional<SinkRunner> runner = d.runner(parts[2]);
        require(runner.isPresent(), 404, "Dataset '" + dsg.datasetName() + "' has no sink '" + parts[2] + "'");
        SinkRunner r = runner.get();
        switch (parts[3]) {
            case "pause" -> r.pause();
            case "resume" -> r.resume();
            case "rewind" -> {
                String v = req.getParameter("version");
                require(v != null && v.matches("\\d{1,18}"), 400, "rewind needs ?version=N, the version after which to deliver again; got " + v);
                long version = Long.parseLong(v);
                try {
                    r.rewind(version);
                } catch (IllegalArgumentException ex) {
                    throw new BadRequest(400, ex.getMessage());
                }
            }
            default -> throw new BadRequest(404, "Unknown sink operation '" + parts[3] + "': pause, resume or rewind");
        }
        SinkStatus s = r.status();
        LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' sink '{}' {} requested (state {}, cursor version {}, head version {})", op, AdminAccess.who(req),
                 dsg.datasetName(), r.name(), parts[3], s.state(), s.cursor(), dsg.changeLog().publishedVersion());
        JsonObject o = new JsonObject();
        o.put("dataset", dsg.datasetName());
        o.put("sink", r.name());
        o.put("requested", parts[3]);
        o.put("state", s.state().name().toLowerCase(Locale.ROOT));
        o.put("cursor", s.cursor());
        json(resp, 202, o);
    }

    // ---- Failover

    private static void promote(HttpServletRequest req, HttpServletResponse resp, String op, DatasetRuntime runtime, String[] parts) throws IOException {
        require(parts.length == 2, 404, "Promote a follower with POST /$/cdc/{dataset}/promote (add ?force=true to promote one that is behind)");
        require(req.getMethod().equals("POST"), 405, "Promotion is a POST");
        String force = req.getParameter("force");
        require(force == null || force.equals("true") || force.equals("false"), 400, "force must be true or false; got " + force);
        DatasetRuntime.Promotion p;
        try {
            p = runtime.promote("true".equals(force));
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while promoting dataset '" + runtime.name() + "'", ex);
        }
        LOG.info("fuseki-cdc admin: {} by {}: {}", op, AdminAccess.who(req), p.message());
        JsonObject o = new JsonObject();
        o.put("dataset", runtime.name());
        o.put("promoted", p.promoted());
        o.put("version", p.version());
        o.put("leaderVersion", p.leaderVersion());
        o.put("lagVersions", p.lagVersions());
        if ( p.onTopic() != null )
            o.put("promotionOnTopic", p.onTopic());
        o.put("message", p.message());
        json(resp, p.promoted() ? 200 : 409, o);
    }

    // ---- Readers no configured sink owns

    private static void reader(HttpServletRequest req, HttpServletResponse resp, String op, DatasetRuntime runtime, String[] parts) throws IOException {
        CapturingDatasetGraph dsg = runtime.dataset();
        require(parts.length == 3 && req.getMethod().equals("DELETE"), 405, "Remove a reader with DELETE /$/cdc/{dataset}/readers/{reader}");
        ChangeLog log = dsg.changeLog();
        String name = parts[2];
        Optional<ReaderCursor> cursor = log.readers().stream().filter(c -> c.name().equals(name)).findFirst();
        require(cursor.isPresent(), 404, "Dataset '" + dsg.datasetName() + "' has no change log reader '" + name
                                         + "'. The status (GET /$/cdc) lists the readers no sink owns under orphanedReaders.");
        SinkRunners d = runtime.sinks();
        Optional<String> sink = OrphanedReaders.owningSink(d, name);
        require(sink.isEmpty(), 409, "Reader '" + name + "' of dataset '" + dsg.datasetName() + "' is the cursor of configured sink '" + sink.orElse("")
                                     + "'; it is not removed. To stop the sink holding back retention, remove it from the configuration and restart first.");
        long acknowledged = cursor.get().acknowledged();
        log.unregisterReader(name);
        long removed = log.applyRetention();
        LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' reader '{}' (acknowledged version {}) removed; retention then removed {} version(s), oldest version now {}",
                 op, AdminAccess.who(req), dsg.datasetName(), name, acknowledged, removed, log.firstVersion());
        JsonObject o = new JsonObject();
        o.put("dataset", dsg.datasetName());
        o.put("reader", name);
        o.put("acknowledged", acknowledged);
        o.put("versionsRemoved", removed);
        o.put("oldestVersion", log.firstVersion());
        json(resp, 200, o);
    }

    // ---- Snapshots

    private static void snapshot(HttpServletRequest req, HttpServletResponse resp, String op, DatasetRuntime runtime, String[] parts) throws IOException {
        CapturingDatasetGraph dsg = runtime.dataset();
        require(parts.length == 2, 404, "Snapshots are GET or POST /$/cdc/{dataset}/snapshot");
        switch (req.getMethod()) {
            case "GET" -> {
                long version;
                long[] quads = {0};
                String fileName;
                SpooledBody body;
                try (Snapshot s = Snapshot.begin(dsg)) {
                    version = s.version();
                    fileName = s.fileName();
                    LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' snapshot at version {} streaming", op, AdminAccess.who(req), dsg.datasetName(), version);
                    body = SpooledBody.write(dsg.datasetName(), runtime.snapshotDirectory(), fileName, out -> quads[0] = s.writeTo(out));
                }
                resp.setStatus(200);
                resp.setContentType(WebContent.contentTypePatch);
                resp.setCharacterEncoding("UTF-8");
                resp.setHeader("X-CDC-Version", Long.toString(version));
                resp.setHeader("Content-Disposition", "attachment; filename=\"" + fileName + "\"");
                LOG.info("fuseki-cdc admin: dataset '{}' snapshot at version {} sending to {} ({} quads)", dsg.datasetName(), version, AdminAccess.who(req), quads[0]);
                runtime.responseStreams().send(req, body, AdminAccess.who(req), "admin snapshot download of version " + version);
            }
            case "POST" -> {
                Path dir = runtime.snapshotDirectory();
                Snapshot.Written w = Snapshot.writeFile(dsg, dir);
                LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' snapshot at version {} written to {} ({} quads)", op, AdminAccess.who(req),
                         dsg.datasetName(), w.version(), w.file(), w.quads());
                JsonObject o = new JsonObject();
                o.put("dataset", dsg.datasetName());
                o.put("version", w.version());
                o.put("file", w.file().toAbsolutePath().toString());
                o.put("quads", w.quads());
                json(resp, 201, o);
            }
            default -> throw new BadRequest(405, "Snapshots are GET (download) or POST (write to the snapshot directory)");
        }
    }

    // ---- Revert

    private static void revert(HttpServletRequest req, HttpServletResponse resp, String op, DatasetRuntime runtime, String[] parts) throws IOException {
        CapturingDatasetGraph dsg = runtime.dataset();
        require(parts.length == 2, 404, "Revert is POST /$/cdc/{dataset}/revert?version=V, with dryRun=true to preview");
        require(req.getMethod().equals("POST"), 405, "Revert is a POST: POST /$/cdc/{dataset}/revert?version=V (dryRun=true to preview)");
        String v = req.getParameter("version");
        require(v != null && v.matches("\\d{1,18}"), 400, "revert needs ?version=V, the version to undo; got " + v);
        String dry = req.getParameter("dryRun");
        require(dry == null || dry.equals("true") || dry.equals("false"), 400, "dryRun must be true or false; got " + dry);
        boolean dryRun = "true".equals(dry);
        long version = Long.parseLong(v);
        String who = AdminAccess.who(req);
        // The patch names the admin user; without authentication, the address the request came from.
        String requestedBy = req.getRemoteUser() != null ? req.getRemoteUser() : req.getRemoteAddr();
        HistoryIndex index = runtime.historyIndex()
            .orElseThrow(() -> new BadRequest(404, "Revert finds later changes to the same quads through the history index, which dataset '"
                                              + dsg.datasetName() + "' does not keep (cdc:historyIndex false); set cdc:historyIndex true to revert"));
        Revert.Result result;
        try {
            result = Revert.apply(dsg, index, version, requestedBy, dryRun);
        } catch (Revert.RevertRefused ex) {
            int status = switch (ex.reason()) {
                case NOT_IN_LOG -> 404;
                case GONE -> 410;
                case TOO_LARGE -> 413;
                case NOTHING_TO_REVERT -> 422;
                case INDEX_BEHIND -> 503;
                case FOLLOWER, STATE_DIFFERS -> 409;
            };
            throw new BadRequest(status, ex.getMessage());
        }
        Revert.Plan plan = result.plan();
        if ( !plan.clean() ) {
            LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' revert of version {} refused: later version(s) {} touched the same quads", op, who,
                     dsg.datasetName(), version, plan.conflicts().stream().map(Revert.Conflict::version).toList());
            JsonObject o = new JsonObject();
            o.put("dataset", dsg.datasetName());
            o.put("version", version);
            o.put("error", "Later versions changed quads that version " + version + " changed; revert those first (newest first), or write the change by hand");
            JsonArray conflicts = new JsonArray();
            for ( Revert.Conflict c : plan.conflicts() ) {
                JsonObject co = new JsonObject();
                co.put("version", c.version());
                JsonArray quads = new JsonArray();
                c.quads().forEach(q -> quads.add(NodeFmtLib.str(q)));
                co.put("quads", quads);
                conflicts.add(co);
            }
            o.put("conflicts", conflicts);
            json(resp, 409, o);
            return;
        }
        if ( dryRun ) {
            LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' revert of version {} previewed ({} quads to delete, {} to add back)", op, who,
                     dsg.datasetName(), version, plan.delete().size(), plan.add().size());
            resp.setStatus(200);
            resp.setContentType(WebContent.contentTypePatch);
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Cache-Control", "no-cache");
            try (OutputStream out = resp.getOutputStream()) {
                plan.writePatch(plan.headers(requestedBy), out);
            }
            return;
        }
        LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' version {} reverted by version {} ({} quads deleted, {} added back)", op, who,
                 dsg.datasetName(), version, result.newVersion(), plan.delete().size(), plan.add().size());
        JsonObject o = new JsonObject();
        o.put("dataset", dsg.datasetName());
        o.put("reverted", version);
        o.put("version", result.newVersion());
        o.put("deleted", plan.delete().size());
        o.put("added", plan.add().size());
        json(resp, 200, o);
    }

    // ---- Live query subscriptions

    private static void subscriptions(HttpServletRequest req, HttpServletResponse resp, String op, DatasetRuntime runtime, String[] parts,
                                      boolean admin) throws IOException {
        CapturingDatasetGraph dsg = runtime.dataset();
        LiveQueryEngine e = runtime.startedLiveEngine().orElse(null);
        // A user who is not the admin sees and closes only the subscriptions made as that user.
        Predicate<Subscription> visible = admin ? s -> true : s -> s.client().equals(ClientInput.userClient(req.getRemoteUser()));
        if ( parts.length == 2 ) {
            require(req.getMethod().equals("GET"), 405, "List subscriptions with GET; close one with DELETE .../subscriptions/{id}");
            JsonArray list = new JsonArray();
            for ( Subscription s : e == null ? List.<Subscription>of() : e.subscriptions() ) {
                if ( !visible.test(s) )
                    continue;
                JsonObject o = new JsonObject();
                o.put("id", s.id());
                o.put("client", s.client());
                o.put("query", s.query());
                o.put("since", s.created().toString());
                list.add(o);
            }
            LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' {} live subscription(s)", op, AdminAccess.who(req), dsg.datasetName(), list.size());
            JsonObject o = new JsonObject();
            o.put("dataset", dsg.datasetName());
            o.put("subscriptions", list);
            json(resp, 200, o);
            return;
        }
        require(parts.length == 3 && req.getMethod().equals("DELETE"), 405, "Close a subscription with DELETE /$/cdc/{dataset}/subscriptions/{id}");
        require(parts[2].matches("\\d{1,18}"), 404, "No subscription '" + parts[2] + "'");
        long id = Long.parseLong(parts[2]);
        boolean mine = e != null && e.subscriptions().stream().anyMatch(s -> s.id() == id && visible.test(s));
        require(mine && e.close(id), 404, "Dataset '" + dsg.datasetName() + "' has no open live subscription " + id);
        LOG.info("fuseki-cdc admin: {} by {}: dataset '{}' live subscription {} closed", op, AdminAccess.who(req), dsg.datasetName(), id);
        resp.setStatus(204);
    }

    // ---- Responses

    private static void page(String spec, HttpServletResponse resp) throws IOException {
        String[] s = spec.split("\\|");
        try (InputStream in = CdcAdminServlet.class.getResourceAsStream(s[0])) {
            if ( in == null ) {
                error(resp, 404, "Dashboard resource " + s[0] + " is missing from the module jar");
                return;
            }
            resp.setStatus(200);
            resp.setContentType(s[1]);
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Cache-Control", "no-cache");
            try (OutputStream out = resp.getOutputStream()) {
                in.transferTo(out);
            }
        }
    }

    private static void json(HttpServletResponse resp, int status, JsonObject o) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-cache");
        try (OutputStream out = resp.getOutputStream()) {
            JSON.write(out, o);
        }
    }

    private static void error(HttpServletResponse resp, int status, String message) throws IOException {
        resp.setStatus(status);
        resp.setContentType("text/plain");
        resp.setCharacterEncoding("UTF-8");
        try (OutputStream out = resp.getOutputStream()) {
            out.write((message + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }
}
