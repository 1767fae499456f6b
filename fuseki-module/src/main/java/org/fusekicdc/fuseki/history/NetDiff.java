package org.fusekicdc.fuseki.history;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

import org.apache.jena.atlas.web.AcceptList;
import org.apache.jena.atlas.web.MediaType;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.binary.RDFChangesWriterBinary;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.riot.WebContent;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.access.PatchFilter;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;

/**
 * {@code GET /ds/changes?after=A&until=B&net=true}: the net change from version A to version B
 * as one RDF Patch, computed from the patches between them only (neither state is built): the
 * prefix changes (the last of each prefix in the range), then {@code D} for each quad present at
 * A and not at B, then {@code A} for each quad present at B and not at A. Its headers
 * {@code after} and {@code until} name the two versions. Under graph-level access control the
 * reader sees only the quads of graphs it may read.
 */
public final class NetDiff {
    private NetDiff() {}

    public static final String PARAM_NET = "net";
    static final String HDR_AFTER = "X-CDC-After";
    static final String HDR_UNTIL = "X-CDC-Until";
    private static final AcceptList OFFERS = AcceptList.create(WebContent.contentTypePatch, WebContent.contentTypePatchThrift);

    public static void send(HttpAction action, DatasetRuntime runtime, ReaderView view) {
        String net = action.getRequestParameter(PARAM_NET);
        if ( !"true".equals(net) )
            ServletOps.errorBadRequest("The net parameter takes only the value true (the net change between two versions as one patch), got "
                                       + ClientInput.quote(net) + ". Leave it out to read the patches one by one.");
        ChangeLog log = runtime.log();
        long head = log.publishedVersion();
        String afterParam = action.getRequestParameter("after");
        String untilParam = action.getRequestParameter("until");
        if ( afterParam == null )
            ServletOps.errorBadRequest("A net change needs the version it starts from: after=A (and until=B, the newest version when left out)");
        long after = version(afterParam, "after");
        long until = untilParam == null ? head : version(untilParam, "until");
        if ( until > head )
            ServletOps.errorBadRequest("until=" + until + " is newer than the newest version of dataset '" + runtime.name() + "' (" + head
                                       + "). Ask for until=" + head + " or older, or leave until out.");
        if ( after > until )
            ServletOps.errorBadRequest("after=" + after + " is newer than until=" + until + ": a net change runs from an older version to a newer one.");
        long oldest = AsOfRead.oldestReachable(log);
        NetChange change = null;
        try {
            if ( after < oldest )
                throw new VersionGoneException(runtime.name(), after, oldest);
            change = NetChange.between(log, after, until, AsOfRead.DEFAULT_MAX_CHANGED_QUADS);
        } catch (VersionGoneException ex) {
            action.setResponseHeader(AsOf.HDR_OLDEST, String.valueOf(oldest));
            ServletOps.error(HttpSC.GONE_410, "Dataset '" + runtime.name() + "': version " + after + " is older than retention keeps: the oldest version"
                                              + " a net change can start from is " + oldest + ". Ask for after=" + oldest
                                              + " or newer (see docs/history.md).");
        } catch (NetChange.TooManyChanges ex) {
            ServletOps.error(HttpSC.SERVICE_UNAVAILABLE_503, ex.getMessage() + " Or ask for a shorter range (until=).");
        }
        String contentType = negotiate(action);
        action.setResponseHeader(HDR_AFTER, String.valueOf(after));
        action.setResponseHeader(HDR_UNTIL, String.valueOf(until));
        action.setResponseContentType(contentType);
        action.setResponseStatus(HttpSC.OK_200);
        try (OutputStream out = action.getResponseOutputStream()) {
            if ( WebContent.contentTypePatchThrift.equals(contentType) ) {
                NetChange c = change;
                RDFChangesWriterBinary.writeBinary(out, w -> write(c, PatchFilter.filter(w, view)));
            } else {
                RDFChangesWriterText w = RDFChangesWriterText.create(out);
                write(change, PatchFilter.filter(w, view));
                w.finish();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        action.log.info(String.format("[%d] Net change of dataset '%s' from version %d to %d", action.id, runtime.name(), after, until));
    }

    private static void write(NetChange change, RDFChanges out) {
        out.header("after", integer(change.after()));
        out.header("until", integer(change.until()));
        out.txnBegin();
        change.forEachPrefix((k, iri) -> {
            if ( iri == null )
                out.deletePrefix(k.graph(), k.prefix());
            else
                out.addPrefix(k.graph(), k.prefix(), iri);
        });
        change.forEachRemoved(q -> out.delete(graph(q), q.getSubject(), q.getPredicate(), q.getObject()));
        change.forEachAdded(q -> out.add(graph(q), q.getSubject(), q.getPredicate(), q.getObject()));
        out.txnCommit();
    }

    // RDF Patch writes the default graph as a triple (no graph term).
    private static Node graph(Quad q) {
        return q.isDefaultGraph() ? null : q.getGraph();
    }

    private static Node integer(long v) {
        return NodeFactory.createLiteralDT(Long.toString(v), XSDDatatype.XSDinteger);
    }

    private static long version(String s, String name) {
        try {
            long v = Long.parseLong(s.trim());
            if ( v >= 0 )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The " + name + " parameter must be a version number (a whole number, 0 or more), got " + ClientInput.quote(s));
        return -1;
    }

    private static String negotiate(HttpAction action) {
        String accept = action.getRequestHeader("Accept");
        if ( accept == null || accept.isBlank() || accept.contains("*/*") || accept.contains("text/plain") )
            return WebContent.contentTypePatch;
        MediaType mt = AcceptList.match(AcceptList.create(accept), OFFERS);
        if ( mt == null )
            ServletOps.error(HttpSC.NOT_ACCEPTABLE_406, "A net change is served as " + WebContent.contentTypePatch + " or " + WebContent.contentTypePatchThrift
                                                       + "; the request's Accept header allows only " + ClientInput.quote(accept));
        return mt.getContentTypeStr();
    }
}
