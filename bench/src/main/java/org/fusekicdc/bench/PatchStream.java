package org.fusekicdc.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.sink.kafka.TestBroker;

/**
 * A leader's stream of patches as Kafka messages, made once and kept in memory (about 2 KB a
 * version): a captured in-memory dataset commits one transaction per version, and each log
 * record becomes the messages the Kafka sink would send ({@link PatchMessages}: RDF Patch text,
 * {@code Content-Type: application/rdf-patch}, the {@code cdc-*} headers). Version {@code v}
 * adds {@code quadsPerVersion} quads to graph {@code g<v mod 10>} about subject {@code s<v>},
 * one of them the marker {@code s<v> seq v}, by which a replica shows it holds the version.
 */
final class PatchStream {
    static final String DATASET = "ds";
    static final String SEQ = "http://ex/seq";

    /** One message: a whole patch (20 quads stay far below a message's size limit). */
    record Message(long version, Map<String, String> headers, byte[] value) {}

    final List<Message> messages;
    final int quadsPerVersion;

    private PatchStream(List<Message> messages, int quadsPerVersion) {
        this.messages = messages;
        this.quadsPerVersion = quadsPerVersion;
    }

    static String subject(long version) {
        return "http://ex/s" + version;
    }

    /** Versions 1..{@code versions}, written through capture into a change log under {@code dir}. */
    static PatchStream build(Path dir, int versions, int quadsPerVersion) throws IOException {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), DATASET));
        CapturingDatasetGraph leader = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log,
                                                                    CaptureConfig.defaults(dir.resolve("spill")));
        List<Message> out = new ArrayList<>(versions);
        try {
            for ( long v = 1 ; v <= versions ; v++ )
                write(leader, v, quadsPerVersion);
            if ( log.headVersion() != versions )
                throw new IllegalStateException("the leader's log holds " + log.headVersion() + " versions, not " + versions);
            for ( long v = 1 ; v <= versions ; v++ ) {
                long version = v;
                PatchMessages.parts(new PatchRecord(DATASET, log.read(v)), PatchRecord.TEXT, TestBroker.MESSAGE_MAX_BYTES, dir,
                                    (headers, value) -> out.add(new Message(version, headers, value)));
            }
        } finally {
            leader.close();
        }
        if ( out.size() != versions )
            throw new IllegalStateException(versions + " versions became " + out.size() + " messages: a patch was cut in parts");
        return new PatchStream(List.copyOf(out), quadsPerVersion);
    }

    private static void write(CapturingDatasetGraph dsg, long v, int quads) {
        Node g = NodeFactory.createURI("http://ex/g" + (v % 10));
        Node s = NodeFactory.createURI(subject(v));
        Txn.executeWrite(dsg, () -> {
            dsg.add(Quad.create(g, s, NodeFactory.createURI(SEQ), NodeFactory.createLiteralDT(Long.toString(v), XSDDatatype.XSDinteger)));
            for ( int q = 1 ; q < quads ; q++ )
                dsg.add(Quad.create(g, s, NodeFactory.createURI("http://ex/p" + q), NodeFactory.createLiteralString("value " + v + "/" + q)));
        });
    }

    /** Messages of versions {@code from}..{@code to}. */
    List<Message> versions(long from, long to) {
        return messages.subList((int)from - 1, (int)to);
    }
}
