package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.datatypes.xsd.XSDDateTime;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.RspVocab;
import org.fusekicdc.rsp.WindowSpec;

/** The events of one commit that a window's stream holds, with their times. */
final class StreamEvents {
    private StreamEvents() {}

    /** The commit's quads on the window's stream, restricted to its graph when it names one. */
    static List<Quad> quads(Commit commit, WindowSpec spec) {
        List<Quad> all = spec.stream().equals(RspVocab.REMOVED) ? commit.removed() : commit.added();
        if ( spec.graph() == null )
            return all;
        List<Quad> out = new ArrayList<>();
        for ( Quad q : all )
            if ( spec.graph().equals(q.getGraph()) )
                out.add(q);
        return out;
    }

    /**
     * Event times by subject: the value of the time property on each subject in these quads,
     * in milliseconds. A subject without a valid {@code xsd:dateTime} value is absent (its
     * events take the commit time).
     */
    static Map<Node, Long> eventTimes(List<Quad> quads, Node timeProperty) {
        Map<Node, Long> times = new HashMap<>();
        for ( Quad q : quads ) {
            if ( !q.getPredicate().equals(timeProperty) || !q.getObject().isLiteral() )
                continue;
            Object v;
            try {
                v = q.getObject().getLiteralValue();
            } catch (RuntimeException ill) {
                continue;
            }
            if ( v instanceof XSDDateTime dt && isDateTime(q.getObject()) )
                times.put(q.getSubject(), dt.asCalendar().getTimeInMillis());
        }
        return times;
    }

    private static boolean isDateTime(Node literal) {
        String dt = literal.getLiteralDatatypeURI();
        return XSDDatatype.XSDdateTime.getURI().equals(dt) || XSDDatatype.XSDdateTimeStamp.getURI().equals(dt);
    }

    /** Whether a window whose patterns use only {@code predicates} can match a quad (null: any quad). */
    static boolean wanted(Set<Node> predicates, Quad q) {
        return predicates == null || predicates.contains(q.getPredicate());
    }
}
