package org.fusekicdc.core.internal.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import com.apicatalog.jsonld.JsonLd;
import com.apicatalog.jsonld.JsonLdError;
import com.apicatalog.jsonld.JsonLdOptions;
import com.apicatalog.jsonld.document.JsonDocument;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonStructure;
import jakarta.json.JsonWriter;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.riot.system.jsonld.JenaToTitanium;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * Entity documents: one message per IRI subject a patch changed, holding that subject's
 * description in the dataset as of the patch's version (read with {@link AsOfRead} from the
 * record's {@link PatchRecord#asOf}, so a sink that is behind still sends the state right after
 * that patch), as JSON-LD compacted with the configured context: framed on the subject, blank
 * nodes embedded, or with a configured frame. A subject left without triples gets a tombstone: an empty body
 * (on Kafka a null value keyed by the subject, which log compaction drops). Every message has
 * the patch headers, {@link #SUBJECT}, and the part headers counting the patch's messages, so
 * the last message of a patch is the last part and a sink's tail check finds the version.
 */
public final class EntityDocumentFormat implements MessageFormat {
    public static final String NAME = "entity";
    public static final String CONTENT_TYPE = "application/ld+json";
    /** Header naming the message's subject (its IRI); a Kafka sink uses it as the record key. */
    public static final String SUBJECT = "cdc-subject";

    /** How much of the graph describes a subject. */
    public enum Depth {
        /** The triples whose subject it is. */
        SUBJECT,
        /** Those, and the triples of every blank node reached from them, transitively. */
        CLOSURE
    }

    private final JsonObject context;
    private final JsonObject frame;
    private final Depth depth;

    /**
     * @param context the JSON-LD context to compact with (an object with {@code @context}, or the context itself)
     * @param frame   a JSON-LD frame, or null to frame each document on its subject
     */
    public EntityDocumentFormat(JsonObject context, JsonObject frame, Depth depth) {
        this.context = context.containsKey("@context") ? context : Json.createObjectBuilder().add("@context", context).build();
        this.frame = frame == null ? null : frame.containsKey("@context") ? frame
            : Json.createObjectBuilder(frame).add("@context", this.context.get("@context")).build();
        this.depth = depth;
    }

    /** Parse a JSON object given inline (starting with '{') or read from a file. */
    public static JsonObject jsonObject(String value) throws IOException {
        String text = value.strip().startsWith("{") ? value : Files.readString(Path.of(value));
        try (var reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        } catch (RuntimeException ex) {
            throw new IOException("not a JSON object: " + ex.getMessage(), ex);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    /** Receives one subject's document, or null for a tombstone. */
    @FunctionalInterface
    private interface DocumentConsumer<E extends Exception> {
        void accept(Node subject, byte[] document) throws IOException, E;
    }

    /** All documents as JSON Lines, a tombstone as {@code {"@id": subject}} (which reads back as no triples). */
    @Override
    public void write(PatchRecord patch, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
        documents(patch, changedSubjects(patch, filter), (subject, doc) -> {
            out.write(doc != null ? doc : json(Json.createObjectBuilder().add("@id", subject.getURI()).build()));
            out.write('\n');
        });
    }

    @Override
    public <E extends Exception> void messages(PatchRecord patch, Map<String, String> extraHeaders, int maxBytes, Path tmpDir,
                                               PatchMessages.PartConsumer<E> consumer) throws IOException, E {
        Map<String, String> base = PatchMessages.headers(patch, CONTENT_TYPE);
        base.putAll(extraHeaders);
        int[] index = {0};
        Set<Node> subjects = changedSubjects(patch, UnaryOperator.identity());
        int count = subjects.size();
        documents(patch, subjects, (subject, doc) -> {
            if ( doc != null && doc.length > maxBytes )
                throw new IOException("the entity document of " + subject.getURI() + " at version " + patch.version() + " is " + doc.length
                                      + " bytes, more than the " + maxBytes + " a message may hold; raise cdc:maxMessageBytes (and the broker's limit)");
            Map<String, String> h = new LinkedHashMap<>(base);
            h.put(SUBJECT, subject.getURI());
            h.put(PatchMessages.PART, Integer.toString(index[0]++));
            h.put(PatchMessages.PARTS, Integer.toString(count));
            consumer.accept(h, doc == null ? new byte[0] : doc);
        });
    }

    /**
     * Hand each subject's document as of the patch's version to {@code consumer}. The read stays
     * open while the consumer sends, so memory holds one document at a time.
     */
    private <E extends Exception> void documents(PatchRecord patch, Set<Node> subjects, DocumentConsumer<E> consumer) throws IOException, E {
        if ( subjects.isEmpty() )
            return;
        if ( patch.asOf() == null )
            throw new IOException("version " + patch.version() + " of '" + patch.dataset() + "' comes without its dataset: entity documents read the"
                                  + " dataset as of each patch, so they are sent from a captured dataset's own sinks only (not a continuous query's)");
        try (AsOfRead read = patch.asOf().begin(patch.version(), AsOfRead.DEFAULT_MAX_CHANGED_QUADS)) {
            DatasetGraph dsg = read.dataset();
            for ( Node s : subjects ) {
                DatasetGraph description = describe(dsg, s);
                consumer.accept(s, description.isEmpty() ? null : document(description, s));
            }
        } catch (VersionGoneException | NetChange.TooManyChanges ex) {
            // Retention removed patches while read, or the sink is too far behind to undo in memory.
            throw new IOException("cannot read dataset '" + patch.dataset() + "' as of version " + patch.version() + ": " + ex.getMessage(), ex);
        }
    }

    /** The IRI subjects of the patch's changes, in order of first change. */
    private static Set<Node> changedSubjects(PatchRecord patch, UnaryOperator<RDFChanges> filter) throws IOException {
        Set<Node> subjects = new LinkedHashSet<>();
        RDFChanges collect = new RDFChangesBase() {
            @Override
            public void add(Node g, Node s, Node p, Node o) {
                if ( s.isURI() )
                    subjects.add(s);
            }

            @Override
            public void delete(Node g, Node s, Node p, Node o) {
                add(g, s, p, o);
            }
        };
        try (InputStream in = patch.openText()) {
            new RDFPatchReaderText(in).apply(filter.apply(collect));
        }
        return subjects;
    }

    /** The subject's triples in every graph of the dataset, and with {@link Depth#CLOSURE} those of the blank nodes they reach. */
    private DatasetGraph describe(DatasetGraph dsg, Node subject) {
        DatasetGraph out = DatasetGraphFactory.create();
        Deque<Node> todo = new ArrayDeque<>();
        Set<Node> seen = new HashSet<>();
        todo.add(subject);
        seen.add(subject);
        while ( !todo.isEmpty() ) {
            Node s = todo.poll();
            Iterator<Quad> it = dsg.find(Node.ANY, s, Node.ANY, Node.ANY);
            while ( it.hasNext() ) {
                Triple t = it.next().asTriple();
                out.getDefaultGraph().add(t);
                if ( depth == Depth.CLOSURE && t.getObject().isBlank() && seen.add(t.getObject()) )
                    todo.add(t.getObject());
            }
        }
        return out;
    }

    private byte[] document(DatasetGraph description, Node subject) throws IOException {
        try {
            JsonArray expanded = JenaToTitanium.convert(description, new JsonLdOptions());
            // Without a frame of its own, a frame matching the subject: one object, its blank nodes embedded.
            JsonObject f = frame != null ? frame
                : Json.createObjectBuilder(context).add("@id", subject.getURI()).build();
            JsonObject doc = JsonLd.frame(JsonDocument.of(expanded), JsonDocument.of(f)).get();
            return json(doc);
        } catch (JsonLdError ex) {
            throw new IOException("cannot write the JSON-LD document of " + subject.getURI() + ": " + ex.getMessage(), ex);
        }
    }

    private static byte[] json(JsonStructure value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonWriter w = Json.createWriter(bytes)) {
            w.write(value);
        }
        return bytes.toByteArray();
    }
}
