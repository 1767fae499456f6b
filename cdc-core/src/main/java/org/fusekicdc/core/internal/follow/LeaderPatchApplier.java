package org.fusekicdc.core.internal.follow;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.jena.graph.Node;
import org.apache.jena.query.TxnType;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.system.Id;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.capture.ReplicaDivergedException;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * Applies one of a leader's patches to a follower's dataset, in one transaction that keeps the
 * leader's identity: the record appended to the follower's log has the leader's version, id,
 * previous id and time ({@link CapturingDatasetGraph#commitAs}), so the follower's log stays a
 * copy of the leader's, and its feed, sinks and live queries see the same versions.
 * <p>
 * The patch's terms and headers are checked as they are applied: what a leader never writes,
 * or what this dataset's log could not hold, makes it a bad patch, not a store failure.
 */
final class LeaderPatchApplier {
    private LeaderPatchApplier() {}

    /**
     * Apply {@code patch}, whose identity in the leader's log is {@code leader}, keeping the
     * headers other than the identity ones (the writer's user and request id).
     *
     * @throws BadPatchException if the patch cannot be read or does not match its message
     * @throws StoreFailure if the store failed while applying (the transaction is aborted)
     * @throws org.fusekicdc.core.internal.log.ChangeLogException if the patch does not continue this log (a gap or a fork)
     * @throws ReplicaDivergedException if some of the patch's changes were no-ops here: this
     *         dataset did not hold the leader's state before the patch
     */
    static void apply(CapturingDatasetGraph dsg, Patch patch, RecordMeta leader) {
        Map<String, String> kept = new LinkedHashMap<>();
        dsg.begin(TxnType.WRITE);
        try {
            long quadChanges;
            try {
                quadChanges = applyChanges(patch, leader, dsg, kept);
            } catch (RuntimeException ex) {
                // end() without commit or abort throws, hiding why the patch could not be applied.
                dsg.abort();
                throw ex;
            }
            dsg.commitAs(leader, kept, quadChanges);
        } finally {
            dsg.end();
        }
    }

    /**
     * Apply {@code patch} in the open write transaction of a group ({@link CapturingDatasetGraph#beginGroup}),
     * logging it as the group's next record; the caller commits or aborts the transaction.
     * Throws as {@link #apply}, except that a store failure is not aborted here.
     */
    static void applyInGroup(CapturingDatasetGraph dsg, Patch patch, RecordMeta leader) {
        Map<String, String> kept = new LinkedHashMap<>();
        long quadChanges = applyChanges(patch, leader, dsg, kept);
        dsg.appendAs(leader, kept, quadChanges);
    }

    /** Apply the patch's changes to {@code target}; returns its number of quad changes. */
    private static long applyChanges(Patch p, RecordMeta meta, DatasetGraph target, Map<String, String> kept) {
        Applier applier = new Applier(target, meta, kept);
        String contentType = p.headers().get(PatchMessages.CONTENT_TYPE);
        if ( contentType != null && !contentType.equals(PatchRecord.TEXT) && !contentType.equals(PatchRecord.BINARY) )
            throw new BadPatchException("the message holds " + contentType + ", not RDF Patch: a follower reads topics whose sink has cdc:"
                                        + FormatOptions.FORMAT.name() + " text or binary; point it at such a topic, or change the leader's sink");
        try (InputStream in = p.open()) {
            if ( PatchRecord.BINARY.equals(p.headers().get(PatchMessages.CONTENT_TYPE)) )
                RDFPatchReaderBinary.read(in, applier);
            else
                new RDFPatchReaderText(in).apply(applier);
        } catch (StoreFailure | BadPatchException ex) {
            throw ex;
        } catch (IOException ex) {
            throw new StoreFailure(new UncheckedIOException(ex));
        } catch (RuntimeException ex) {
            throw new BadPatchException("not a readable RDF Patch: " + ex.getMessage());
        }
        if ( applier.aborted )
            throw new BadPatchException("the patch ends with TA (abort): a leader never publishes an aborted transaction");
        if ( !applier.committed )
            throw new BadPatchException("the patch is incomplete: it has no TC (commit) line");
        return applier.quadChanges;
    }

    /** Applies a leader's patch to the dataset in the follower's transaction. */
    private static final class Applier extends RDFChangesBase {
        private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");
        /** What RDF 1.1 Turtle's IRIREF allows. */
        private static final Pattern IRI_CHARACTERS = Pattern.compile("[^\\x00-\\x20<>\"{}|^`\\\\]*");
        private static final Pattern LANGUAGE_TAG = Pattern.compile("[A-Za-z]+(-[A-Za-z0-9]+)*(--[a-z]+)?");
        private final DatasetGraph target;
        private final RecordMeta meta;
        private final Map<String, String> kept;
        long quadChanges;
        boolean committed;
        boolean aborted;

        Applier(DatasetGraph target, RecordMeta meta, Map<String, String> kept) {
            this.target = target;
            this.meta = meta;
            this.kept = kept;
        }

        @Override
        public void header(String field, Node value) {
            switch (field) {
                case PatchHeaders.ID -> {
                    if ( !Id.fromNode(value).equals(Id.fromUUID(meta.id())) )
                        throw new BadPatchException("the patch's id header " + value + " is not the message's id " + meta.id());
                }
                case PatchHeaders.PREV, PatchHeaders.VERSION, PatchHeaders.TIMESTAMP, PatchHeaders.DATASET -> {}
                default -> {
                    // Kept headers go into this dataset's log, whose text format takes words as header names.
                    if ( !HEADER_NAME.matcher(field).matches() )
                        throw new BadPatchException("its header name '" + field + "' is not a word (letters, digits, '_', '-')");
                    checkTerms("H", value);
                    kept.put(field, value.isLiteral() ? value.getLiteralLexicalForm() : value.toString());
                }
            }
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            quadChanges++;
            checkTerms("A", g, s, p, o);
            store(() -> target.add(g == null ? Quad.defaultGraphIRI : g, s, p, o));
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            quadChanges++;
            checkTerms("D", g, s, p, o);
            store(() -> target.delete(g == null ? Quad.defaultGraphIRI : g, s, p, o));
        }

        /**
         * Jena's text reader also takes variables ({@code ?x}) and {@code ANY}, which no leader
         * writes: a store refuses them, and that refusal would be retried as a store failure.
         * Its binary reader takes IRIs and language tags with characters that the text format of
         * this dataset's log cannot hold: logged, the patch could not be read back.
         */
        private static void checkTerms(String line, Node... terms) {
            for ( Node n : terms ) {
                if ( n == null )
                    continue;
                if ( !n.isConcrete() )
                    throw new BadPatchException("its " + line + " line holds " + n + ", which is not an RDF term");
                String iri = n.isURI() ? n.getURI() : n.isLiteral() ? n.getLiteralDatatypeURI() : null;
                if ( iri != null && !IRI_CHARACTERS.matcher(iri).matches() )
                    throw new BadPatchException("its " + line + " line holds an IRI with a character an IRI cannot have: " + iri.replaceAll("\\p{Cntrl}", "?"));
                if ( n.isLiteral() && !n.getLiteralLanguage().isEmpty() && !LANGUAGE_TAG.matcher(n.getLiteralLanguage()).matches() )
                    throw new BadPatchException("its " + line + " line holds a literal whose language tag is not one: "
                                                + n.getLiteralLanguage().replaceAll("\\p{Cntrl}", "?"));
            }
        }

        @Override
        public void addPrefix(Node gn, String prefix, String uriStr) {
            store(() -> target.prefixes().add(prefix, uriStr));
        }

        @Override
        public void deletePrefix(Node gn, String prefix) {
            store(() -> target.prefixes().delete(prefix));
        }

        @Override
        public void txnCommit() {
            committed = true;
        }

        /** Noted, not thrown: Jena's reader also calls this when it fails, and its error says more. */
        @Override
        public void txnAbort() {
            aborted = true;
        }

        private static void store(Runnable change) {
            try {
                change.run();
            } catch (RuntimeException ex) {
                throw new StoreFailure(ex);
            }
        }
    }

    /** The patch cannot be read or is not consistent with its message. */
    static final class BadPatchException extends RuntimeException {
        BadPatchException(String message) {
            super(message);
        }
    }

    /** The store failed while applying: the transaction is aborted and the patch retried. */
    static final class StoreFailure extends RuntimeException {
        StoreFailure(RuntimeException cause) {
            super(cause);
        }

        @Override
        public synchronized RuntimeException getCause() {
            return (RuntimeException)super.getCause();
        }
    }
}
