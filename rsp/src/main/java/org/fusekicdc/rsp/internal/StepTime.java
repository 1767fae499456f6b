package org.fusekicdc.rsp.internal;

import org.apache.jena.query.Query;
import org.apache.jena.sparql.expr.E_Now;
import org.apache.jena.sparql.expr.Expr;
import org.apache.jena.sparql.expr.ExprFunction0;
import org.apache.jena.sparql.expr.ExprTransformCopy;
import org.apache.jena.sparql.expr.NodeValue;
import org.apache.jena.sparql.syntax.syntaxtransform.ElementTransformCopyBase;
import org.apache.jena.sparql.syntax.syntaxtransform.QueryTransformOps;

/**
 * NOW() in a continuous query is the step's time (its window's end), not the wall clock, so a
 * step means the same when the log is replayed. Jena sets NOW() per execution, so the call is
 * replaced by the constant.
 */
final class StepTime {
    private StepTime() {}

    /** Whether the query calls NOW(). */
    static boolean usesNow(Query query) {
        String text = query.toString();
        return text.contains("NOW(") || text.contains("now(");
    }

    /** The query with each NOW() replaced by {@code now}. */
    static Query at(Query query, long now) {
        NodeValue time = NodeValue.makeNode(WindowGraphs.time(now));
        ExprTransformCopy nowToTime = new ExprTransformCopy() {
            @Override
            public Expr transform(ExprFunction0 func) {
                return func instanceof E_Now ? time : super.transform(func);
            }
        };
        return QueryTransformOps.transform(query, new ElementTransformCopyBase(), nowToTime);
    }
}
