package org.fusekicdc.rsp.internal;

import java.util.List;

import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.expr.Expr;
import org.apache.jena.sparql.expr.ExprAggregator;
import org.apache.jena.sparql.expr.aggregate.AggAvg;
import org.apache.jena.sparql.expr.aggregate.AggCount;
import org.apache.jena.sparql.expr.aggregate.AggCountVar;
import org.apache.jena.sparql.expr.aggregate.AggMax;
import org.apache.jena.sparql.expr.aggregate.AggMin;
import org.apache.jena.sparql.expr.aggregate.AggSum;
import org.apache.jena.sparql.expr.aggregate.Aggregator;

/**
 * One aggregate of the group: its output variable, its kind, the star variable it reads
 * and that variable's slot in the star's solutions (null and -1 for COUNT(*)).
 */
record AggregateSpec(Var var, Kind kind, Var arg, int slot) {
    enum Kind { COUNT_ALL, COUNT, SUM, AVG, MIN, MAX }

    /** @param starVars the star's variables by slot */
    static AggregateSpec of(ExprAggregator ea, List<Var> starVars) {
        Aggregator agg = ea.getAggregator();
        if ( agg instanceof AggCount )
            return new AggregateSpec(ea.getVar(), Kind.COUNT_ALL, null, -1);
        Kind kind = switch (agg) {
            case AggCountVar a -> Kind.COUNT;
            case AggSum a -> Kind.SUM;
            case AggAvg a -> Kind.AVG;
            case AggMin a -> Kind.MIN;
            case AggMax a -> Kind.MAX;
            default -> null;
        };
        if ( kind == null || agg.getExprList() == null || agg.getExprList().size() != 1 )
            return null;
        Expr arg = agg.getExprList().get(0);
        if ( !arg.isVariable() || !starVars.contains(arg.asVar()) )
            return null;
        return new AggregateSpec(ea.getVar(), kind, arg.asVar(), starVars.indexOf(arg.asVar()));
    }
}
