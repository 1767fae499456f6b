package org.fusekicdc.fuseki;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;

/** What the commits of continuous queries' views (patches with the {@code rsp-view} header) added, read from a dataset's change feed. */
final class ViewCommits {
    static final String LAST_STEP = "https://w3id.org/fuseki-cdc#lastStep";

    private ViewCommits() {}

    /** The integer objects the views' commits added with {@code predicate}, in commit order. */
    static List<Long> added(CdcFuseki f, String dataset, String predicate) {
        List<Long> out = new ArrayList<>();
        for ( RDFPatch p : f.feed(dataset) ) {
            if ( p.header().get("rsp-view") == null )
                continue;
            p.apply(new RDFChangesBase() {
                @Override
                public void add(Node g, Node s, Node pr, Node o) {
                    if ( pr.getURI().equals(predicate) )
                        out.add(Long.parseLong(o.getLiteralLexicalForm()));
                }
            });
        }
        return out;
    }
}
