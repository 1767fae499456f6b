package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.vocabulary.RDF;

/**
 * Removes the triples a table's rows gave: in the table's graph, the mapping's predicates and
 * rdf:type classes on subjects the subject template can produce. Triples of other mappings (other
 * templates) and other predicates stay. Deletes in rounds of {@link #ROUND} quads so that memory
 * stays bounded whatever the table's size (the capture spills a large transaction to disk).
 */
record TableClear(TableMapping mapping) implements RowMapper.DatasetChange {
    static final int ROUND = 10_000;

    @Override
    public void apply(DatasetGraph dsg) {
        Pattern subjects = subjectPattern(mapping.subject());
        Node g = mapping.graph();
        for ( Node p : mapping.predicates() )
            clear(dsg, subjects, g, p, Node.ANY);
        for ( Node c : mapping.classes() )
            clear(dsg, subjects, g, RDF.Nodes.type, c);
    }

    private static void clear(DatasetGraph dsg, Pattern subjects, Node g, Node p, Node o) {
        while ( true ) {
            List<Quad> round = new ArrayList<>();
            var it = dsg.find(g, Node.ANY, p, o);
            try {
                while ( it.hasNext() && round.size() < ROUND ) {
                    Quad q = it.next();
                    if ( q.getSubject().isURI() && subjects.matcher(q.getSubject().getURI()).matches() )
                        round.add(q);
                }
            } finally {
                org.apache.jena.atlas.iterator.Iter.close(it);
            }
            round.forEach(dsg::delete);
            if ( round.size() < ROUND )
                return;
        }
    }

    /** The IRIs a template can give: its fixed text with a percent-encoded value (see {@link IriTemplate#encode}) in each placeholder. */
    static Pattern subjectPattern(IriTemplate t) {
        StringBuilder re = new StringBuilder(Pattern.quote(t.parts().get(0)));
        for ( int k = 1 ; k < t.parts().size() ; k++ )
            re.append("[A-Za-z0-9._~%-]*").append(Pattern.quote(t.parts().get(k)));
        return Pattern.compile(re.toString());
    }
}
