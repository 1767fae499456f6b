package org.fusekicdc.fuseki.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.irix.IRIs;
import org.apache.jena.irix.IRIException;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.rdfpatch.PatchHeader;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.history.HistoryIndex;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.http.ReadOnlyService;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;

/**
 * Resource history ({@code cdc:history}): {@code GET ?subject=IRI[&predicate=IRI][&graph=IRI|default][&limit=N][&before=V]}
 * answers, as JSON and newest first, the versions that added or removed triples of the subject,
 * each with its time, user, request id, commit message and the counts of quads added and
 * removed; {@code next} gives the {@code before} of the following page. Answered from the
 * dataset's {@link HistoryIndex}, as far back as the change log reaches. Under graph-level access
 * control only the quads of graphs the reader may see count, and a version with none is left out.
 */
public class HistoryService extends ReadOnlyService {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    // How long a request waits for the index to reach the versions published when it arrived.
    private static final Duration CATCH_UP = Duration.ofSeconds(10);
    private static final String ALLOW = "GET, HEAD, OPTIONS";

    public HistoryService() {
        super(ALLOW, "resource history");
    }

    @Override
    protected void doGet(HttpAction action) {
        DatasetRuntime runtime = DatasetRuntimes.require(action, "resource history");
        ChangeLog log = runtime.log();
        HistoryIndex index = runtime.historyIndex().orElse(null);
        if ( index == null ) {
            ServletOps.error(HttpSC.NOT_FOUND_404, "Dataset '" + runtime.name() + "' keeps no history index (cdc:historyIndex false), which resource history is"
                                                   + " answered from; set cdc:historyIndex true in its configuration");
            return;
        }
        ReaderView view = ReaderView.of(action);
        Node subject = iri(action, "subject", true);
        Node predicate = iri(action, "predicate", false);
        String g = action.getRequestParameter("graph");
        Node graph = g == null ? null : g.equals("default") ? Quad.defaultGraphIRI : iri(action, "graph", false);
        int limit = limit(action);
        long before = before(action);
        long head = log.publishedVersion();
        try {
            index.awaitIndexed(head, CATCH_UP);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        List<Version> versions = new ArrayList<>();
        boolean more;
        long indexed;
        try {
            long cursor = before;
            while ( true ) {
                HistoryIndex.Page page = index.lookup(subject, predicate, graph, 0, cursor, limit + 1);
                indexed = page.indexedVersion();
                for ( HistoryIndex.Change c : page.changes() ) {
                    Version v = describe(log, c, view, subject, predicate, graph);
                    if ( v != null )
                        versions.add(v);
                    if ( versions.size() > limit )
                        break;
                }
                if ( versions.size() > limit || !page.more() )
                    break;
                cursor = page.changes().getLast().version();
            }
            more = versions.size() > limit;
            if ( more )
                versions = versions.subList(0, limit);
        } catch (HistoryIndex.DamagedIndexException ex) {
            action.setResponseHeader("Retry-After", "5");
            ServletOps.error(HttpSC.SERVICE_UNAVAILABLE_503, ex.getMessage());
            return;
        }
        JsonObject o = new JsonObject();
        o.put("dataset", log.dataset());
        o.put("subject", subject.getURI());
        if ( predicate != null )
            o.put("predicate", predicate.getURI());
        if ( graph != null )
            o.put("graph", g.equals("default") ? "default" : graph.getURI());
        o.put("headVersion", head);
        o.put("oldestVersion", log.firstVersion());
        o.put("indexedVersion", indexed);
        JsonArray arr = new JsonArray();
        versions.forEach(v -> arr.add(v.json()));
        o.put("versions", arr);
        if ( more )
            o.put("next", versions.getLast().version);
        HttpServletResponse resp = action.getResponse();
        action.setResponseStatus(HttpSC.OK_200);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-cache");
        try (OutputStream out = resp.getOutputStream()) {
            JSON.write(out, o);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private record Version(long version, JsonObject json) {}

    /** One version's entry; null when the reader sees none of its matching quads, or retention has just removed it. */
    private static Version describe(ChangeLog log, HistoryIndex.Change c, ReaderView view, Node s, Node p, Node g) {
        LogRecord record;
        try {
            record = log.read(c.version());
        } catch (VersionGoneException ex) {
            return null;
        }
        long added = c.added();
        long removed = c.removed();
        if ( !view.isAll() ) {
            long[] counts = visibleCounts(record, view, s, p, g);
            added = counts[0];
            removed = counts[1];
            if ( added + removed == 0 )
                return null;
        }
        PatchHeader header;
        try (InputStream in = record.openPayload()) {
            header = RDFPatchReaderText.readerHeader(in);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        JsonObject o = new JsonObject();
        o.put("version", c.version());
        o.put("id", record.meta().id().toString());
        o.put("time", record.meta().commitTime().toString());
        putHeader(o, "user", header, PatchHeaders.USER);
        putHeader(o, "requestId", header, PatchHeaders.REQUEST_ID);
        putHeader(o, "message", header, PatchHeaders.MESSAGE);
        putHeader(o, "reverts", header, PatchHeaders.REVERTS);
        putHeader(o, "source", header, PatchHeaders.SOURCE);
        o.put("added", added);
        o.put("removed", removed);
        return new Version(c.version(), o);
    }

    private static void putHeader(JsonObject o, String key, PatchHeader header, String name) {
        Node n = header.get(name);
        if ( n != null )
            o.put(key, n.isLiteral() ? n.getLiteralLexicalForm() : n.toString());
    }

    private static long[] visibleCounts(LogRecord record, ReaderView view, Node s, Node p, Node g) {
        long[] counts = new long[2];
        try (InputStream in = record.openPayload()) {
            new RDFPatchReaderText(in).apply(new RDFChangesBase() {
                @Override
                public void add(Node gn, Node sn, Node pn, Node on) {
                    count(gn, sn, pn, on, 0);
                }

                @Override
                public void delete(Node gn, Node sn, Node pn, Node on) {
                    count(gn, sn, pn, on, 1);
                }

                private void count(Node gn, Node sn, Node pn, Node on, int which) {
                    Node graph = gn == null ? Quad.defaultGraphIRI : gn;
                    if ( sn.equals(s) && (p == null || pn.equals(p)) && (g == null || graph.equals(g)) && view.sees(gn, sn, pn, on) )
                        counts[which]++;
                }
            });
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return counts;
    }

    // ---- Parameters

    private static Node iri(HttpAction action, String name, boolean required) {
        String s = action.getRequestParameter(name);
        if ( s == null ) {
            if ( required )
                ServletOps.errorBadRequest("Resource history needs ?" + name + "=IRI, the absolute IRI of the resource whose changes to list");
            return null;
        }
        try {
            if ( IRIs.check(s) && IRIs.reference(s).isAbsolute() )
                return NodeFactory.createURI(s);
        } catch (IRIException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The " + name + " parameter must be an absolute IRI" + (name.equals("graph") ? " or 'default'" : "") + ", got "
                                   + ClientInput.quote(s));
        return null;
    }

    private static int limit(HttpAction action) {
        String s = action.getRequestParameter("limit");
        if ( s == null )
            return DEFAULT_LIMIT;
        try {
            int v = Integer.parseInt(s.trim());
            if ( v >= 1 && v <= MAX_LIMIT )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The limit parameter must be a whole number from 1 to " + MAX_LIMIT + ", got " + ClientInput.quote(s));
        return -1;
    }

    private static long before(HttpAction action) {
        String s = action.getRequestParameter("before");
        if ( s == null )
            return Long.MAX_VALUE;
        try {
            long v = Long.parseLong(s.trim());
            if ( v >= 1 )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The before parameter must be a version number (1 or more: the 'next' of the previous page), got "
                                   + ClientInput.quote(s));
        return -1;
    }

    @Override
    protected void doHead(HttpAction action) {
        action.setResponseStatus(HttpSC.OK_200);
    }


}
