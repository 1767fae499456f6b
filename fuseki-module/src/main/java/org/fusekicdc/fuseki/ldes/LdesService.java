package org.fusekicdc.fuseki.ldes;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.Retention;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.config.LdesSettings;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.http.ReadOnlyService;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change log of a captured dataset as a Linked Data Event Stream ({@code cdc:ldes}), LDES 1.0
 * over TREE.
 * <ul>
 * <li>{@code GET} the endpoint: the {@code ldes:EventStream} (its {@code ldes:timestampPath} and
 * {@code ldes:versionOfPath}), its view {@code ?view} with the log's retention as LDES retention
 * policies and a relation to the page of the oldest version kept.</li>
 * <li>{@code GET ?epoch=E&from=F&to=T}: the page of versions F to T of history E, one member per
 * version ({@link LdesMembers}), linked to the next page once all its versions exist. Such a page
 * never changes again and is served {@code immutable}; the newest page, still filling, is cached
 * for {@code cdc:ldesMaxAgeSeconds}.</li>
 * </ul>
 * Every response has a strong ETag and answers {@code If-None-Match} with 304 before reading the
 * log. Turtle, N-Triples and JSON-LD by content negotiation. As on the change feed, a reader under
 * graph-level access control sees only the quads of the graphs it may read (its responses are
 * {@code private} to caches), and a page is written by the dataset's response threads without
 * blocking, one member at a time, a client that stops reading dropped after {@code cdc:slowReaderSeconds}.
 */
public class LdesService extends ReadOnlyService {
    private static final Logger LOG = LoggerFactory.getLogger(LdesService.class);
    private static final String ALLOW = "GET, HEAD, OPTIONS";
    private static final List<String> OFFERED = List.of(LdesFormat.TURTLE.contentType, LdesFormat.NTRIPLES.contentType, LdesFormat.JSONLD.contentType);
    /** A year, the longest max-age caches are asked to honour. */
    private static final long IMMUTABLE_MAX_AGE_SECONDS = 31_536_000;

    public LdesService() {
        super(ALLOW, "the Linked Data Event Stream");
    }

    @Override
    protected void doGet(HttpAction action) {
        respond(action, true);
    }

    @Override
    protected void doHead(HttpAction action) {
        respond(action, false);
    }



    /** Where the stream's resources are: its IRI (the request's URL), the view's, the dataset's, and the base of skolem IRIs. */
    private record Links(String collection, String view, String dataset, String genid) {
        static Links of(HttpAction action, String datasetName) {
            HttpServletRequest req = action.getRequest();
            String url = req.getRequestURL().toString();
            String origin = url.substring(0, url.length() - req.getRequestURI().length());
            String dataset = origin + req.getContextPath() + action.getDataAccessPoint().getName();
            return new Links(url, url + "?view", dataset,
                             origin + "/.well-known/genid/" + URLEncoder.encode(datasetName, StandardCharsets.UTF_8) + "-");
        }

        String page(long epoch, long from, long to) {
            return collection + "?epoch=" + epoch + "&from=" + from + "&to=" + to;
        }
    }

    private static void respond(HttpAction action, boolean withBody) {
        DatasetRuntime runtime = DatasetRuntimes.require(action, "Linked Data Event Stream");
        ReaderView view = ReaderView.of(action);
        LdesFormat format = negotiate(action);
        Links links = Links.of(action, runtime.name());
        String epoch = action.getRequestParameter("epoch");
        String from = action.getRequestParameter("from");
        String to = action.getRequestParameter("to");
        if ( epoch == null && from == null && to == null )
            description(action, runtime, view, format, links, withBody);
        else if ( epoch == null || from == null || to == null )
            ServletOps.errorBadRequest("A page of the Linked Data Event Stream is named by the parameters epoch, from and to together, as the"
                                       + " stream's links give them; got epoch=" + quote(epoch) + ", from=" + quote(from) + ", to=" + quote(to)
                                       + ". Start from " + links.collection());
        else
            page(action, runtime, view, format, links, number(epoch, "epoch", 0), number(from, "from", 1), number(to, "to", 1), withBody);
    }

    // ---- The stream and its view

    private static void description(HttpAction action, DatasetRuntime runtime, ReaderView view, LdesFormat format, Links links, boolean withBody) {
        ChangeLog log = runtime.log();
        long size = runtime.ldesSettings().pageSize();
        long first = ((log.firstVersion() - 1) / size) * size + 1;
        String firstPage = links.page(log.epoch(), first, first + size - 1);
        Retention retention = log.config().retention();
        String etag = etag("stream", firstPage, retention, format, view.key());
        setCacheHeaders(action, etag, cacheControl(action, view, false, runtime.ldesSettings()));
        if ( notModified(action, etag) )
            return;
        List<Triple> triples = new ArrayList<>(streamTriples(links));
        Node v = NodeFactory.createURI(links.view());
        Node description = NodeFactory.createBlankNode();
        Node rel = NodeFactory.createBlankNode();
        triples.add(Triple.create(v, LdesVocab.type, LdesVocab.Node));
        triples.add(Triple.create(v, LdesVocab.viewDescription, description));
        triples.add(Triple.create(description, LdesVocab.type, LdesVocab.ViewDescription));
        retentionPolicies(triples, description, retention);
        triples.add(Triple.create(v, LdesVocab.relation, rel));
        triples.add(Triple.create(rel, LdesVocab.type, LdesVocab.Relation));
        triples.add(Triple.create(rel, LdesVocab.node, NodeFactory.createURI(firstPage)));
        send(action, runtime, format, triples, null, List.of(), withBody, "Linked Data Event Stream description");
    }

    /** What the log's retention keeps, as LDES retention policies: a member is kept while every policy keeps it. */
    private static void retentionPolicies(List<Triple> triples, Node description, Retention r) {
        if ( r.maxVersions() > 0 ) {
            Node p = NodeFactory.createBlankNode();
            triples.add(Triple.create(description, LdesVocab.retentionPolicy, p));
            triples.add(Triple.create(p, LdesVocab.type, LdesVocab.LatestVersionSubset));
            triples.add(Triple.create(p, LdesVocab.amount, NodeFactory.createLiteralDT(Long.toString(r.maxVersions()), XSDDatatype.XSDinteger)));
        }
        if ( r.maxAge() != null ) {
            Node p = NodeFactory.createBlankNode();
            triples.add(Triple.create(description, LdesVocab.retentionPolicy, p));
            triples.add(Triple.create(p, LdesVocab.type, LdesVocab.DurationAgoPolicy));
            triples.add(Triple.create(p, LdesVocab.value, NodeFactory.createLiteralDT(r.maxAge().toString(), XSDDatatype.XSDduration)));
        }
        if ( r.maxBytes() > 0 ) {
            Node p = NodeFactory.createBlankNode();
            triples.add(Triple.create(description, LdesVocab.retentionPolicy, p));
            triples.add(Triple.create(p, LdesVocab.type, LdesVocab.LogSizePolicy));
            triples.add(Triple.create(p, LdesVocab.maxBytes, NodeFactory.createLiteralDT(Long.toString(r.maxBytes()), XSDDatatype.XSDinteger)));
        }
    }

    /** The stream's own description, in every response, so that any page is enough to start from. */
    private static List<Triple> streamTriples(Links links) {
        Node c = NodeFactory.createURI(links.collection());
        return List.of(Triple.create(c, LdesVocab.type, LdesVocab.EventStream),
                       Triple.create(c, LdesVocab.timestampPath, LdesVocab.generatedAtTime),
                       Triple.create(c, LdesVocab.versionOfPath, LdesVocab.isVersionOf),
                       Triple.create(c, LdesVocab.view, NodeFactory.createURI(links.view())));
    }

    // ---- One page

    private static void page(HttpAction action, DatasetRuntime runtime, ReaderView view, LdesFormat format, Links links,
                             long epoch, long from, long to, boolean withBody) {
        ChangeLog log = runtime.log();
        if ( to < from || to - from + 1 > LdesSettings.MAX_PAGE_SIZE )
            ServletOps.errorBadRequest("A page holds versions from to to, at most " + LdesSettings.MAX_PAGE_SIZE + " of them; got from=" + from
                                       + ", to=" + to + ". Follow the stream's links from " + links.collection());
        long current = log.epoch();
        if ( epoch != current )
            ServletOps.error(HttpSC.GONE_410, "Page of history " + epoch + ", but dataset '" + runtime.name() + "' is in history " + current
                                               + " (its versions began again at 1): read the stream again from " + links.collection());
        long head = log.publishedVersion();
        long first = log.firstVersion();
        if ( from > head + 1 )
            ServletOps.error(HttpSC.NOT_FOUND_404, "No page from version " + from + " yet: the newest version of dataset '" + runtime.name() + "' is "
                                                    + head + ". Follow the stream's links from " + links.collection());
        if ( to < first )
            ServletOps.error(HttpSC.GONE_410, "Retention has removed versions " + from + " to " + to + " of dataset '" + runtime.name()
                                               + "'; the oldest version kept is " + first + ". The view starts at the oldest page kept: " + links.view());
        long start = Math.max(from, first);
        long end = Math.min(to, head);
        boolean complete = to <= head;
        String self = links.page(epoch, from, to);
        String etag = etag("page", self, start, end, format, view.key());
        String cacheControl = cacheControl(action, view, complete, runtime.ldesSettings());
        if ( notModified(action, etag) ) {
            setCacheHeaders(action, etag, cacheControl);
            return;
        }
        List<LogRecord> records = List.of();
        if ( start <= end ) {
            try {
                records = log.readAfter(start - 1, (int)(end - start + 1));
                // A page is whole or not served: readAfter stops before a damaged record, which read() names.
                if ( records.size() < end - start + 1 )
                    log.read(start + records.size());
            } catch (VersionGoneException ex) {
                ServletOps.error(HttpSC.GONE_410, ex.getMessage() + " The view starts at the oldest page kept: " + links.view());
            } catch (DamagedRecordException ex) {
                ServletOps.error(HttpSC.INTERNAL_SERVER_ERROR_500, ex.getMessage());
            }
        }
        // Only now: an error above must not be cached as the page.
        setCacheHeaders(action, etag, cacheControl);
        List<Triple> triples = new ArrayList<>(streamTriples(links));
        Node page = NodeFactory.createURI(self);
        triples.add(Triple.create(page, LdesVocab.type, LdesVocab.Node));
        triples.add(Triple.create(page, LdesVocab.isPartOf, NodeFactory.createURI(links.collection())));
        if ( complete ) {
            Node rel = NodeFactory.createBlankNode();
            triples.add(Triple.create(page, LdesVocab.relation, rel));
            triples.add(Triple.create(rel, LdesVocab.type, LdesVocab.Relation));
            triples.add(Triple.create(rel, LdesVocab.node, NodeFactory.createURI(links.page(epoch, to + 1, to + (to - from + 1)))));
        }
        LdesMembers members = new LdesMembers(links.collection(), links.dataset(), epoch, links.genid(), view);
        send(action, runtime, format, triples, members, records, withBody, "Linked Data Event Stream page of versions " + from + " to " + to);
    }

    // ---- Responses

    private static void send(HttpAction action, DatasetRuntime runtime, LdesFormat format, List<Triple> description, LdesMembers members,
                             List<LogRecord> records, boolean withBody, String what) {
        HttpServletResponse resp = action.getResponse();
        resp.setContentType(format.contentType);
        resp.setCharacterEncoding("UTF-8");
        action.setResponseStatus(HttpSC.OK_200);
        if ( !withBody )
            return;
        try {
            runtime.responseStreams().send(action.getRequest(), new LdesBody(format.writer(), description, members, records),
                                           ClientInput.clientId(action), what);
        } catch (IOException ex) {
            LOG.debug("Dataset '{}': {} not sent, the client went away: {}", runtime.name(), what, ex.toString());
        }
    }

    private static void setCacheHeaders(HttpAction action, String etag, String cacheControl) {
        HttpServletResponse resp = action.getResponse();
        resp.setHeader("ETag", etag);
        resp.setHeader("Cache-Control", cacheControl);
        resp.setHeader("Vary", "Accept");
    }

    /** True (and 304 set) when the client's copy, named by {@code If-None-Match}, is current. */
    private static boolean notModified(HttpAction action, String etag) {
        String ifNoneMatch = action.getRequest().getHeader("If-None-Match");
        if ( ifNoneMatch == null )
            return false;
        for ( String tag : ifNoneMatch.split(",") ) {
            String t = tag.trim();
            if ( t.startsWith("W/") )
                t = t.substring(2);
            if ( t.equals("*") || t.equals(etag) ) {
                action.setResponseStatus(HttpSC.NOT_MODIFIED_304);
                return true;
            }
        }
        return false;
    }

    /** Pages whose versions all exist never change; what a reader sees under access control, or as a user, is for that reader only. */
    private static String cacheControl(HttpAction action, ReaderView view, boolean immutable, LdesSettings settings) {
        boolean personal = !view.isAll() || action.getUser() != null || action.getRequest().getHeader("Authorization") != null;
        String scope = personal ? "private" : "public";
        return immutable ? scope + ", max-age=" + IMMUTABLE_MAX_AGE_SECONDS + ", immutable" : scope + ", max-age=" + settings.maxAge().toSeconds();
    }

    /** A strong validator: a digest of everything the response's bytes depend on. */
    private static String etag(Object... parts) {
        StringBuilder key = new StringBuilder();
        for ( Object p : parts )
            key.append(p).append('\u0000');
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.toString().getBytes(StandardCharsets.UTF_8));
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", ex);
        }
    }

    // ---- Parameters

    private static LdesFormat negotiate(HttpAction action) {
        String accept = action.getRequest().getHeader("Accept");
        if ( accept == null || accept.isBlank() )
            return LdesFormat.TURTLE;
        LdesFormat format = LdesFormat.negotiate(accept);
        if ( format == null )
            ServletOps.error(HttpSC.NOT_ACCEPTABLE_406, "The Linked Data Event Stream offers " + String.join(", ", OFFERED)
                                                        + "; the request's Accept header allows only " + ClientInput.quote(accept));
        return format;
    }

    private static long number(String s, String name, long min) {
        try {
            long v = Long.parseLong(s.trim());
            if ( v >= min )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The " + name + " parameter must be a whole number, " + min + " or more, as the stream's links give it; got "
                                   + ClientInput.quote(s));
        return -1;
    }

    private static String quote(String s) {
        return s == null ? "(absent)" : ClientInput.quote(s);
    }
}
