package org.fusekicdc.rsp.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.util.NodeFactoryExtra;
import org.fusekicdc.rsp.StepResult;

/**
 * RDF terms and solution tables in a compact binary form, for the parts of a split query that
 * travel between processes: terms in N-Triples syntax (a blank node keeps its label), strings
 * UTF-8 and length-prefixed.
 */
final class Terms {
    private Terms() {}

    static void write(DataOutput out, Node n) throws IOException {
        writeString(out, n.isBlank() ? "_:" + n.getBlankNodeLabel() : NodeFmtLib.strNT(n));
    }

    static Node read(DataInput in) throws IOException {
        String s = readString(in);
        return s.startsWith("_:") ? NodeFactory.createBlankNode(s.substring(2)) : NodeFactoryExtra.parseNode(s);
    }

    static void writeString(DataOutput out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(DataInput in) throws IOException {
        int n = in.readInt();
        if ( n < 0 || n > 1 << 28 )
            throw new IOException("a string of " + n + " bytes: not a split query's record");
        byte[] b = new byte[n];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Rows: the variables, then each row's bound variables by index. */
    static void writeRows(DataOutput out, StepResult.Rows rows) throws IOException {
        out.writeInt(rows.vars().size());
        for ( Var v : rows.vars() )
            writeString(out, v.getVarName());
        out.writeInt(rows.rows().size());
        for ( Binding b : rows.rows() ) {
            int bound = 0;
            for ( Var v : rows.vars() )
                if ( b.get(v) != null )
                    bound++;
            out.writeInt(bound);
            for ( int i = 0; i < rows.vars().size(); i++ ) {
                Node n = b.get(rows.vars().get(i));
                if ( n != null ) {
                    out.writeInt(i);
                    write(out, n);
                }
            }
        }
    }

    static StepResult.Rows readRows(DataInput in) throws IOException {
        int nv = in.readInt();
        List<Var> vars = new ArrayList<>(nv);
        for ( int i = 0; i < nv; i++ )
            vars.add(Var.alloc(readString(in)));
        int n = in.readInt();
        List<Binding> rows = new ArrayList<>(n);
        for ( int r = 0; r < n; r++ ) {
            int bound = in.readInt();
            BindingBuilder b = BindingFactory.builder();
            for ( int k = 0; k < bound; k++ ) {
                int i = in.readInt();
                b.add(vars.get(i), read(in));
            }
            rows.add(b.build());
        }
        return new StepResult.Rows(vars, rows);
    }
}
