package org.fusekicdc.fuseki.stream;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.access.PatchFilter;
import org.fusekicdc.fuseki.access.ReaderView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events of one live change feed stream, read from the log a piece at a time: one event
 * per patch ({@code id:} = version, one {@code data:} line per patch line). A patch is read
 * from its record as the client takes it, so a reader costs a piece, whatever the patch size
 * (a reader restricted by graph-level access control holds its filtered patch).
 */
final class FeedTail implements EventStream.Source {
    /** Characters of a patch formatted per piece. */
    private static final int PIECE_CHARS = 16 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(FeedTail.class);

    private final ChangeLog log;
    private final ReaderView view;
    private byte[] greeting;
    private volatile long sent;
    private Reader patch;
    private long patchVersion;
    private boolean lineStart;
    private boolean afterCarriageReturn;
    private boolean ended;

    FeedTail(ChangeLog log, long after, ReaderView view) {
        this.log = log;
        this.view = view;
        this.sent = after;
        this.greeting = utf8(": fuseki-cdc change feed of dataset '" + log.dataset() + "', after version " + after + "\n\n");
    }

    /** The last version whose event has been handed to the client's connection. */
    long sentVersion() {
        return sent;
    }

    @Override
    public byte[] next() throws IOException {
        if ( greeting != null ) {
            byte[] b = greeting;
            greeting = null;
            return b;
        }
        if ( ended )
            return null;
        if ( patch == null )
            return startNextPatch();
        return pieceOfPatch();
    }

    @Override
    public boolean ended() {
        return ended || log.isClosed();
    }

    private byte[] startNextPatch() throws IOException {
        if ( log.isClosed() )
            return null;
        List<LogRecord> next;
        try {
            next = log.readAfter(sent, 1);
        } catch (VersionGoneException ex) {
            ended = true;
            return utf8("event: error\ndata: " + ex.getMessage() + "\n\n");
        } catch (ChangeLogException ex) {
            if ( log.isClosed() )
                return null;
            LOG.warn("Dataset '{}': change feed stream ends at version {}: {}", log.dataset(), sent, ex.getMessage());
            ended = true;
            return utf8("event: error\ndata: " + ex.getMessage().replace('\n', ' ') + "\n\n");
        }
        if ( next.isEmpty() )
            return null;
        LogRecord r = next.getFirst();
        patch = new InputStreamReader(PatchFilter.payload(r, view), StandardCharsets.UTF_8);
        patchVersion = r.version();
        lineStart = true;
        afterCarriageReturn = false;
        return utf8("id: " + r.version() + "\nevent: patch\n");
    }

    /** The next lines of the patch as {@code data:} lines; the event's blank line after its last. */
    private byte[] pieceOfPatch() throws IOException {
        StringBuilder sb = new StringBuilder(PIECE_CHARS + 64);
        char[] buf = new char[4096];
        while ( sb.length() < PIECE_CHARS ) {
            int n = patch.read(buf);
            if ( n < 0 ) {
                patch.close();
                patch = null;
                sb.append(lineStart ? "\n" : "\n\n");
                sent = patchVersion;
                break;
            }
            for ( int i = 0 ; i < n ; i++ )
                append(sb, buf[i]);
        }
        return utf8(sb.toString());
    }

    /** One character of the patch; a line ends at LF, CR or CRLF, as SSE readers split them. */
    private void append(StringBuilder sb, char c) {
        boolean crlf = afterCarriageReturn && c == '\n';
        afterCarriageReturn = c == '\r';
        if ( crlf )
            return;
        if ( lineStart ) {
            sb.append("data: ");
            lineStart = false;
        }
        if ( c == '\n' || c == '\r' ) {
            sb.append('\n');
            lineStart = true;
        } else
            sb.append(c);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
