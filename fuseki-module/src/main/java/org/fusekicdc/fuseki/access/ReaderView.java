package org.fusekicdc.fuseki.access;

import java.util.Collection;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Predicate;

import org.apache.jena.fuseki.access.AuthorizationService;
import org.apache.jena.fuseki.access.DataAccessCtl;
import org.apache.jena.fuseki.access.DatasetGraphAccessControl;
import org.apache.jena.fuseki.access.SecurityContext;
import org.apache.jena.fuseki.access.SecurityContextAllowAll;
import org.apache.jena.fuseki.access.SecurityContextAllowNone;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.live.LiveView;

/**
 * What one reader may see of a dataset under Jena's graph-level access control
 * ({@code access:AccessControlledDataset}): the graphs of the request user's
 * {@link SecurityContext}, with the default graph as that context says. A service without graph-level
 * access control gives {@link #ALL}.
 * <p>
 * {@link #key()} names the view: two readers with the same key see the same quads, so live
 * queries are shared only among readers with the same key.
 */
public final class ReaderView {
    /** Everything: no graph-level access control, or a user allowed every graph. */
    public static final ReaderView ALL = new ReaderView(null, "all");

    private final SecurityContext context;
    private final String key;
    private final Predicate<Quad> visible;

    private ReaderView(SecurityContext context, String key) {
        this.context = context;
        this.key = key;
        this.visible = context == null ? q -> true : context.predicateQuad();
    }

    /**
     * The view of the request's user on the action's dataset, picked as Jena's own access-controlled
     * query operation picks it ({@code HttpAction.getUser()} looked up in the dataset's registry);
     * 403 when the registry has no entry for the user, as Jena answers.
     */
    public static ReaderView of(HttpAction action) {
        DatasetGraph dsg = action.getDataset();
        if ( dsg == null || !DataAccessCtl.isAccessControlled(dsg) )
            return ALL;
        AuthorizationService auth = dsg instanceof DatasetGraphAccessControl acl ? acl.getAuthService()
            : dsg.getContext().get(DataAccessCtl.symAuthorizationService);
        SecurityContext sc = auth == null ? null : auth.get(action.getUser());
        if ( sc == null )
            ServletOps.errorForbidden("User " + (action.getUser() == null ? "(anonymous)" : action.getUser())
                                      + " has no access to any graph of this dataset");
        return of(sc);
    }

    /** The view a {@link SecurityContext} allows. */
    public static ReaderView of(SecurityContext sc) {
        Objects.requireNonNull(sc);
        if ( sc instanceof SecurityContextAllowAll )
            return ALL;
        if ( sc instanceof SecurityContextAllowNone )
            return new ReaderView(sc, "none");
        Collection<Node> graphs = sc.visibleGraphs();
        String named = graphs == null ? "*" : new TreeSet<>(graphs.stream().map(Node::toString).toList()).toString();
        return new ReaderView(sc, "default:" + sc.visableDefaultGraph() + " named:" + named);
    }

    public boolean isAll() {
        return context == null;
    }

    /** Names the set of quads this view shows; equal keys, equal views. */
    public String key() {
        return key;
    }

    /** Whether the reader may see this quad; a null graph is the default graph (as RDF Patch writes it). */
    public boolean sees(Node g, Node s, Node p, Node o) {
        return isAll() || visible.test(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o));
    }

    /** Whether the reader may see the prefixes of graph {@code g}; dataset prefixes (null) are shown, as Jena's filtered view does. */
    public boolean seesPrefixesOf(Node g) {
        return isAll() || g == null || visible.test(Quad.create(g, Quad.defaultGraphIRI, Quad.defaultGraphIRI, Quad.defaultGraphIRI));
    }

    /** The dataset as this reader sees it: a read-only filtered view (Jena's {@link DataAccessCtl#filteredDataset}). */
    public DatasetGraph over(DatasetGraph dsg) {
        return isAll() ? dsg : DataAccessCtl.filteredDataset(dsg, context);
    }

    /** This view for the live query engine. */
    public LiveView live() {
        return isAll() ? LiveView.ALL : new LiveView(key, this::over);
    }

    @Override
    public String toString() {
        return key;
    }
}
