package org.fusekicdc.core.follow;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.system.Id;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.capture.ReplicaDivergedException;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.topic.TopicReader.ForeignMessage;
import org.fusekicdc.core.topic.TopicReader.Incoming;
import org.fusekicdc.core.topic.TopicReader.PatchMessage;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogException;
import org.fusekicdc.core.log.RecordMeta;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.snapshot.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a captured dataset a copy of a leader's: reads the leader's patches from a
 * {@link TopicReader} and applies each in one transaction that keeps the leader's version and id
 * ({@link CapturingDatasetGraph#applyFromLeader}).
 * <p>
 * Exactly once: the last applied version is this dataset's change-log head, made durable with
 * the data by the capture layer's commit order and start-up recovery, and reading restarts after
 * it. Each patch must be the head's successor (version head + 1, {@code prev} = head's id) and
 * must change the data exactly as it says; otherwise the follower halts before changing
 * anything, with the cause and the fix in its status. A follower that starts empty can load a
 * snapshot of the leader first and continue from the snapshot's version.
 * <p>
 * Local writes are refused while the follower runs: the dataset only changes through its leader.
 */
public final class Follower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final TopicReader source;
    private final FollowerConfig config;
    private final Path workDir;
    private volatile boolean running;
    // Counted down by close: wakes a follower waiting out a backoff.
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread thread;

    private volatile FollowerState state = FollowerState.STARTING;
    private volatile long leaderVersion;
    private volatile long lagMillis;
    private volatile String lastError;

    public Follower(CapturingDatasetGraph dsg, TopicReader source, FollowerConfig config, Path workDir) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.source = source;
        this.config = config;
        this.workDir = workDir;
        dsg.setFollowerOf("Dataset '" + dsg.datasetName() + "' is a read-only follower of " + source.describe() + " (leader dataset '"
                          + config.leaderDataset() + "'): it changes only through its leader. Send writes to the leader"
                          + (config.leaderUrl() == null ? "." : " at " + config.leaderUrl() + "."));
    }

    /** Start following on a thread of its own. */
    public synchronized void start() {
        if ( thread != null )
            return;
        running = true;
        thread = Thread.ofPlatform().daemon().name("fuseki-cdc-follower-" + dsg.datasetName()).start(this::run);
    }

    public FollowerStatus status() {
        long applied = log.headVersion();
        long seen = Math.max(leaderVersion, applied);
        return new FollowerStatus(state, source.describe(), applied, seen, seen - applied, lagMillis, lastError);
    }

    public String dataset() {
        return dsg.datasetName();
    }

    /**
     * Stop following. The thread finishes the patch it is applying: an interrupt would close the
     * store's and the log's files under it (Java closes a FileChannel whose thread is
     * interrupted). Only a thread still busy after 10 s (a long snapshot download) is interrupted.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        stopped.countDown();
        if ( t != null ) {
            try {
                t.join(10_000);
                if ( t.isAlive() ) {
                    t.interrupt();
                    t.join(10_000);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        source.close();
        if ( state != FollowerState.HALTED )
            state = FollowerState.STOPPED;
    }

    // ---- The loop

    private void run() {
        try {
            bootstrap();
        } catch (HaltException ex) {
            halt(ex.getMessage());
            return;
        } catch (InterruptedException ex) {
            return;
        }
        Duration backoff = config.initialBackoff();
        while ( running ) {
            try {
                source.open(log.headVersion());
                state = FollowerState.FOLLOWING;
                LOG.info("Dataset '{}': following {} after version {}", dsg.datasetName(), source.describe(), log.headVersion());
                while ( running ) {
                    Optional<Incoming> in = source.poll(POLL);
                    if ( in.isEmpty() )
                        continue;
                    handle(in.get());
                    backoff = config.initialBackoff();
                    lastError = null;
                }
            } catch (ResyncNeeded ex) {
                source.close();
                LOG.warn("Dataset '{}': follower at version {} resynchronises from a snapshot of the leader: {}", dsg.datasetName(), log.headVersion(),
                         ex.getMessage());
                lastError = "resynchronised from a snapshot: " + ex.getMessage();
                try {
                    if ( !sleep(backoff) )
                        return;
                    backoff = next(backoff);
                    loadSnapshot(true);
                } catch (HaltException halt) {
                    halt(halt.getMessage());
                    return;
                } catch (InterruptedException interrupted) {
                    return;
                }
            } catch (HaltException ex) {
                halt(ex.getMessage());
                return;
            } catch (InterruptedException ex) {
                return;
            } catch (Exception ex) {
                if ( !running )
                    return;
                lastError = describe(ex) + "; retrying in " + backoff.toMillis() + " ms";
                LOG.warn("Dataset '{}': following {} at version {}: {}", dsg.datasetName(), source.describe(), log.headVersion(), lastError);
                source.close();
                if ( !sleep(backoff) )
                    return;
                backoff = next(backoff);
            }
        }
    }

    private void halt(String reason) {
        lastError = reason;
        state = FollowerState.HALTED;
        running = false;
        source.close();
        LOG.error("Dataset '{}': follower halted at version {}: {}", dsg.datasetName(), log.headVersion(), reason);
    }

    private void handle(Incoming in) throws HaltException, IOException {
        switch (in) {
            case ForeignMessage f -> badMessage(f.position(), f.headers(), f.value(), f.reason());
            case PatchMessage m -> {
                try (Patch p = m.patch()) {
                    apply(p, m.position());
                }
            }
        }
    }

    private void apply(Patch p, String position) throws HaltException, IOException {
        Map<String, String> h = p.headers();
        long version = p.version();
        leaderVersion = Math.max(leaderVersion, version);
        String where = source.describe() + " " + position;
        String dataset = h.get(PatchMessages.DATASET);
        if ( dataset != null && !dataset.equals(config.leaderDataset()) ) {
            badMessage(position, h, bytesOf(p), "a patch of dataset '" + dataset + "', not of the leader's dataset '" + config.leaderDataset() + "'");
            return;
        }
        long head = log.headVersion();
        if ( version <= head )
            return;   // applied before a restart; the source re-read it
        if ( version > head + 1 )
            throw cannotContinue("patch version " + version + " arrived (" + where + ") but this follower is at version " + head
                                    + ": versions " + (head + 1) + ".." + (version - 1) + " are missing from the source (removed by its"
                                    + " retention, or set aside by the leader's sink). Rebuild this follower from a snapshot of the leader"
                                    + " (see docs/replicas.md).");
        RecordMeta meta;
        try {
            meta = new RecordMeta(version, UUID.fromString(required(h, PatchMessages.ID)),
                                  h.get(PatchMessages.PREV) == null ? null : UUID.fromString(h.get(PatchMessages.PREV)),
                                  h.containsKey(PatchMessages.TIMESTAMP) ? Instant.parse(h.get(PatchMessages.TIMESTAMP)).toEpochMilli()
                                                                          : System.currentTimeMillis());
        } catch (RuntimeException ex) {
            badMessage(position, h, bytesOf(p), "unreadable patch headers: " + ex.getMessage());
            return;
        }
        if ( !Objects.equals(meta.prevId(), log.headId()) )
            throw cannotContinue("patch version " + version + " (" + where + ") follows patch " + meta.prevId() + " but this follower's version "
                                    + head + " is patch " + log.headId() + ": the leader's history and this follower's have forked"
                                    + " (the leader was restored from a backup, or this follower followed another leader)."
                                    + " Rebuild this follower from a snapshot of the leader (see docs/replicas.md).");
        Map<String, String> kept = new LinkedHashMap<>();
        try {
            dsg.applyFromLeader(meta, kept, target -> applyChanges(p, meta, target, kept));
        } catch (BadPatchException ex) {
            badMessage(position, h, bytesOf(p), ex.getMessage());
            return;
        } catch (ReplicaDivergedException | ChangeLogException ex) {
            if ( ex instanceof ChangeLogException && ex.getCause() instanceof IOException )
                throw ex;   // the log could not be written (disk full): retried
            throw cannotContinue(ex.getMessage() + " (" + where + ")");
        } catch (StoreFailure ex) {
            throw ex.getCause();
        }
        lagMillis = Math.max(0, System.currentTimeMillis() - meta.timestamp());
        LOG.debug("Dataset '{}': applied the leader's version {} (patch {}) from {}", dsg.datasetName(), version, meta.id(), where);
    }

    /** Apply the patch's changes to {@code target}; returns its number of quad changes. */
    private long applyChanges(Patch p, RecordMeta meta, DatasetGraph target, Map<String, String> kept) {
        Applier applier = new Applier(target, meta, kept);
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

    /** A gap, a fork or diverged data: halt, or resynchronise if so configured. */
    private HaltException cannotContinue(String reason) {
        return config.onGap() == FollowerConfig.OnGap.RESYNC ? new ResyncNeeded(reason) : new HaltException(reason);
    }

    private void badMessage(String position, Map<String, String> headers, byte[] value, String reason) throws HaltException, IOException {
        String where = source.describe() + " " + position;
        if ( config.onBadMessage() == FollowerConfig.OnBadMessage.HALT )
            throw new HaltException("bad message at " + where + ": " + reason + ". Remove it from the source, or set cdc:onBadMessage \"deadLetter\""
                                    + " to set such messages aside.");
        Path dir = Files.createDirectories(config.deadLetterDirectory());
        // Named by position: the same message read again after a restart overwrites its own file.
        String base = "message-" + position.replaceAll("[^A-Za-z0-9._-]", "_");
        Properties props = new Properties();
        headers.forEach(props::setProperty);
        props.setProperty("x-dead-letter-reason", reason);
        props.setProperty("x-dead-letter-source", where);
        try (OutputStream out = Files.newOutputStream(dir.resolve(base + ".properties"))) {
            props.store(out, "fuseki-cdc follower: a message that is not a patch of the leader's dataset");
        }
        Files.write(dir.resolve(base + ".bin"), value == null ? new byte[0] : value);
        LOG.warn("Dataset '{}': bad message at {} set aside in {}: {}", dsg.datasetName(), where, dir.resolve(base + ".bin"), reason);
    }

    private static byte[] bytesOf(Patch p) throws IOException {
        try (InputStream in = p.open()) {
            return in.readAllBytes();
        }
    }

    private static String required(Map<String, String> h, String name) {
        String v = h.get(name);
        if ( v == null )
            throw new IllegalArgumentException("no " + name + " header");
        return v;
    }

    // ---- Snapshot bootstrap

    private void bootstrap() throws HaltException, InterruptedException {
        try {
            Snapshot.finishInterruptedLoad(dsg);
        } catch (org.fusekicdc.core.CdcException ex) {
            throw new HaltException(ex.getMessage());
        }
        if ( log.headVersion() == 0 && config.snapshotUrl() != null )
            loadSnapshot(false);
    }

    /** Fetch the leader's snapshot and load it, retrying while the leader cannot be reached. */
    private void loadSnapshot(boolean replaceHistory) throws HaltException, InterruptedException {
        state = FollowerState.BOOTSTRAPPING;
        Duration backoff = config.initialBackoff();
        while ( running ) {
            Path file = workDir.resolve("snapshot-" + System.currentTimeMillis() + ".rdfp");
            try {
                Files.createDirectories(workDir);
                fetchSnapshot(file);
                Snapshot.SnapshotHeader header = Snapshot.readHeader(file);
                if ( header.version() > 0 )
                    Snapshot.load(dsg, file, replaceHistory);
                else if ( replaceHistory )
                    throw new HaltException("the leader's snapshot is of version 0 (an empty leader that was never written): it cannot replace this"
                                            + " follower's history. Rebuild the follower (see docs/replicas.md).");
                LOG.info("Dataset '{}': loaded the leader's snapshot of version {} ({})", dsg.datasetName(), header.version(), config.snapshotUrl());
                lastError = null;
                return;
            } catch (org.fusekicdc.core.CdcException ex) {
                throw new HaltException("cannot load the snapshot from " + config.snapshotUrl() + ": " + ex.getMessage());
            } catch (IOException | RuntimeException ex) {
                lastError = "fetching the snapshot from " + config.snapshotUrl() + ": " + describe(ex) + "; retrying in " + backoff.toMillis() + " ms";
                LOG.warn("Dataset '{}': {}", dsg.datasetName(), lastError);
                if ( !sleep(backoff) )
                    throw new InterruptedException();
                backoff = next(backoff);
            } finally {
                // Kept while a load is pending: a restart finishes it from this file.
                ChangeLog.Rebase pending = log.pendingRebase();
                if ( pending == null || !pending.snapshotFile().equals(file.toAbsolutePath()) )
                    deleteQuietly(file);
            }
        }
        throw new InterruptedException();
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ex) {
            LOG.debug("removing {}: {}", file, ex.toString());
        }
    }

    private void fetchSnapshot(Path file) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(config.snapshotUrl()).GET().header("Accept", PatchRecord.TEXT);
        if ( config.snapshotAuthorization() != null )
            request.header("Authorization", config.snapshotAuthorization());
        Path tmp = file.resolveSibling(file.getFileName() + ".part");
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<Path> response = client.send(request.build(), HttpResponse.BodyHandlers.ofFile(tmp));
            if ( response.statusCode() != 200 ) {
                String body = Files.readString(tmp);
                throw new IOException("HTTP " + response.statusCode() + (body.isBlank() ? "" : ": " + body.strip()));
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    // ---- Helpers

    /** Wait for the backoff, with jitter; false if the follower was closed meanwhile. */
    private boolean sleep(Duration backoff) {
        long jittered = (long)(backoff.toMillis() * (0.5 + ThreadLocalRandom.current().nextDouble() / 2));
        try {
            return !stopped.await(jittered, TimeUnit.MILLISECONDS) && running;
        } catch (InterruptedException ex) {
            return false;
        }
    }

    private Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : doubled;
    }

    private static String describe(Throwable ex) {
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** Stop following: a gap, a fork or a bad message that the configuration says halts. */
    private static class HaltException extends Exception {
        HaltException(String message) {
            super(message);
        }
    }

    /** A gap, a fork or diverged data, with cdc:onGap "resync": load a new snapshot and follow on. */
    private static final class ResyncNeeded extends HaltException {
        ResyncNeeded(String message) {
            super(message);
        }
    }

    /** The patch cannot be read or is not consistent with its message. */
    private static final class BadPatchException extends RuntimeException {
        BadPatchException(String message) {
            super(message);
        }
    }

    /** The store failed while applying: the transaction is aborted and the patch retried. */
    private static final class StoreFailure extends RuntimeException {
        StoreFailure(RuntimeException cause) {
            super(cause);
        }

        @Override
        public synchronized RuntimeException getCause() {
            return (RuntimeException)super.getCause();
        }
    }
}
