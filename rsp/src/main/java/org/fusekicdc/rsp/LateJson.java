package org.fusekicdc.rsp;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;

/**
 * The late events of one commit as JSON, the same for SSE ({@code event: late}) and WebSocket:
 * {@code {"query", "window", "version", "watermark", "events"}}: the commit's version, the
 * watermark when the last of them arrived (ISO 8601; every event time is before it), and
 * {@code events} a SPARQL 1.1 JSON results document with one row per late quad: {@code subject},
 * {@code predicate}, {@code object}, {@code graph} (absent for the default graph) and
 * {@code eventTime} (an {@code xsd:dateTime}).
 */
public final class LateJson {
    public static final List<Var> VARS = List.of(Var.alloc("subject"), Var.alloc("predicate"), Var.alloc("object"), Var.alloc("graph"),
                                                 Var.alloc("eventTime"));

    private LateJson() {}

    /** @param events the late events of one commit, as {@link StepListener#late(List)} hands them (not empty) */
    public static JsonObject of(List<LateEvent> events) {
        LateEvent last = events.get(events.size() - 1);
        JsonObject o = new JsonObject();
        o.put("query", last.query());
        o.put("window", last.window());
        o.put("version", last.version());
        o.put("watermark", last.watermark().toString());
        o.put("events", rows(events));
        return o;
    }

    private static JsonObject rows(List<LateEvent> events) {
        List<Binding> rows = new ArrayList<>(events.size());
        for ( LateEvent e : events ) {
            Quad q = e.quad();
            BindingBuilder b = BindingBuilder.create();
            b.add(VARS.get(0), q.getSubject());
            b.add(VARS.get(1), q.getPredicate());
            b.add(VARS.get(2), q.getObject());
            if ( !q.isDefaultGraph() )
                b.add(VARS.get(3), q.getGraph());
            b.add(VARS.get(4), dateTime(e));
            rows.add(b.build());
        }
        return StepJson.results(new StepResult.Rows(VARS, rows));
    }

    private static Node dateTime(LateEvent e) {
        return NodeFactory.createLiteralDT(e.eventTime().toString(), XSDDatatype.XSDdateTime);
    }
}
