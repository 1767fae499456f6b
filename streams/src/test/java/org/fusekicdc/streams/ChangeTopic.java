package org.fusekicdc.streams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.Commits;

/**
 * A dataset's change log and the messages a fuseki-cdc Kafka sink makes of it: each commit is
 * written to a real change log (with its commit time), cut into messages by
 * {@link PatchMessages} in the given format and size limit, and read back as the in-server
 * engine reads it ({@link Commits#fromLog}).
 */
final class ChangeTopic implements AutoCloseable {
    /** One record of the change topic: key = the dataset's name. */
    record Message(String key, Map<String, String> headers, byte[] value, long timestamp) {}

    private final String dataset;
    private final MessageFormat format;
    private final int maxBytes;
    private final Path tmp;
    private final ChangeLog log;
    private final LogWriter writer;

    ChangeTopic(Path dir, String dataset, MessageFormat format, int maxBytes) {
        this.dataset = dataset;
        this.format = format;
        this.maxBytes = maxBytes;
        this.tmp = dir.resolve("tmp");
        this.log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log-" + dataset), dataset).withFsync(false));
        this.writer = LogWriter.claim(log);
    }

    /** Log the commit; the in-server engine's view of it (read back from the log) and its messages. */
    Logged publish(Commit c) {
        RecordMeta meta = new RecordMeta(c.version(), UUID.randomUUID(), log.headId(), c.commitTime().toEpochMilli());
        writer.appendReplica(meta, (m, out) -> {
            RDFChangesWriterText w = RDFPatchOps.textWriter(out);
            w.txnBegin();
            for ( Quad q : c.removed() )
                w.delete(graph(q), q.getSubject(), q.getPredicate(), q.getObject());
            for ( Quad q : c.added() )
                w.add(graph(q), q.getSubject(), q.getPredicate(), q.getObject());
            w.txnCommit();
            w.finish();
        });
        writer.publish(c.version());
        PatchRecord record = new PatchRecord(dataset, log.read(c.version()));
        List<Message> messages = new ArrayList<>();
        try {
            PatchMessages.parts(record, format, Map.of(), maxBytes, tmp,
                                (h, v) -> messages.add(new Message(dataset, h, v, c.commitTime().toEpochMilli())));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return new Logged(Commits.fromLog(log.read(c.version())), messages);
    }

    record Logged(Commit commit, List<Message> messages) {}

    /** A whole stream: the commits as the in-server engine reads them, and each patch's messages. */
    record Stream(List<Commit> commits, List<List<Message>> patches) {
        /** The messages of patches {@code from} (inclusive) to {@code to} (exclusive), in order. */
        List<Message> messages(int from, int to) {
            return patches.subList(from, to).stream().flatMap(List::stream).toList();
        }
    }

    /** Log and cut every commit of dataset {@code ds}. */
    static Stream publishAll(Path dir, String ds, MessageFormat format, int maxBytes, List<Commit> commits) {
        List<Commit> logged = new ArrayList<>();
        List<List<Message>> patches = new ArrayList<>();
        try (ChangeTopic topic = new ChangeTopic(dir, ds, format, maxBytes)) {
            for ( Commit c : commits ) {
                Logged l = topic.publish(c);
                logged.add(l.commit());
                patches.add(l.messages());
            }
        }
        return new Stream(logged, patches);
    }

    private static Node graph(Quad q) {
        return q.isDefaultGraph() ? null : q.getGraph();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        log.close();
    }
}
