package org.fusekicdc.fuseki.feed;

import java.io.IOException;
import java.util.List;

import jakarta.servlet.http.HttpServletResponse;
import org.apache.jena.atlas.web.AcceptList;
import org.apache.jena.atlas.web.MediaType;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.riot.WebContent;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.stream.FeedStreams;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.history.NetDiff;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.http.ReadOnlyService;
import org.fusekicdc.fuseki.stream.ResponseStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change feed of a captured dataset ({@code cdc:changes}).
 * <ul>
 * <li>{@code GET ?after=N&limit=M}: the patches with version &gt; N, in version order, as RDF
 * Patch text ({@code application/rdf-patch}) or binary ({@code application/rdf-patch+thrift}
 * when the client accepts it); an empty body when nothing is newer.</li>
 * <li>{@code Accept: text/event-stream}: a live tail, one event per patch with {@code id:} =
 * version, resuming after {@code Last-Event-ID} (or {@code after}), heartbeat comments when idle.</li>
 * </ul>
 * Every record is streamed from the log file to the client, so a patch of any size, or a
 * slow client, costs a buffer, not the patch. Pages are written without blocking by the dataset's
 * response threads ({@link ResponseStreams}), a client that stops reading dropped after
 * {@code cdc:slowReaderSeconds}. Under graph-level access control a reader gets each
 * patch filtered to the graphs it may read ({@link org.fusekicdc.fuseki.access.PatchFilter}). Live tails
 * are written without blocking by the dataset's feed threads ({@link FeedStreams}): no client holds a
 * request thread, and writers never wait for readers.
 * <p>
 * {@code GET ?after=A&until=B&net=true}: the net change from version A to version B as one patch ({@link NetDiff}).
 */
public class ChangeFeedService extends ReadOnlyService {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeedService.class);

    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    static final String HDR_HEAD = "X-CDC-Head-Version";
    static final String HDR_OLDEST = "X-CDC-Oldest-Version";
    static final String HDR_LAST = "X-CDC-Last-Version";
    static final String HDR_EPOCH = "X-CDC-Epoch";
    private static final String EVENT_STREAM = "text/event-stream";
    private static final String ALLOW = "GET, HEAD, OPTIONS";
    private static final AcceptList OFFERS = AcceptList.create(WebContent.contentTypePatch, WebContent.contentTypePatchThrift, EVENT_STREAM);

    public ChangeFeedService() {
        super(ALLOW, "the change feed");
    }

    @Override
    protected void doGet(HttpAction action) {
        DatasetRuntime runtime = DatasetRuntimes.require(action, "change feed");
        ChangeLog log = runtime.log();
        ReaderView view = ReaderView.of(action);
        if ( action.getRequestParameter(NetDiff.PARAM_NET) != null ) {
            NetDiff.send(action, runtime, view);
            return;
        }
        String contentType = negotiate(action);
        if ( EVENT_STREAM.equals(contentType) ) {
            String lastEventId = action.getRequest().getHeader("Last-Event-ID");
            long after = lastEventId != null ? parseVersion(lastEventId, "Last-Event-ID header") : afterParam(action);
            checkNotAhead(log, after);
            tail(action, runtime, view, after);
            return;
        }
        long after = afterParam(action);
        int limit = limitParam(action);
        checkNotAhead(log, after);
        page(action, runtime, view, after, limit, contentType);
    }

    @Override
    protected void doHead(HttpAction action) {
        ChangeLog log = DatasetRuntimes.require(action, "change feed").log();
        setVersionHeaders(action.getResponse(), log);
        action.setResponseStatus(HttpSC.OK_200);
    }



    // ---- One page of patches

    /** Read the page's records (a damaged one answers 500 before any byte), then send it without blocking. */
    private static void page(HttpAction action, DatasetRuntime runtime, ReaderView view, long after, int limit, String contentType) {
        ChangeLog log = runtime.log();
        List<LogRecord> records;
        try {
            records = log.readAfter(after, limit);
        } catch (VersionGoneException ex) {
            ServletOps.error(HttpSC.GONE_410, ex.getMessage());
            return;
        } catch (DamagedRecordException ex) {
            ServletOps.error(HttpSC.INTERNAL_SERVER_ERROR_500, ex.getMessage());
            return;
        }
        HttpServletResponse resp = action.getResponse();
        setVersionHeaders(resp, log);
        resp.setHeader(HDR_LAST, String.valueOf(records.isEmpty() ? after : records.getLast().version()));
        resp.setContentType(contentType);
        action.setResponseStatus(HttpSC.OK_200);
        boolean binary = WebContent.contentTypePatchThrift.equals(contentType);
        String what = "change feed page after version " + after + (records.isEmpty() ? "" : " up to " + records.getLast().version());
        try {
            runtime.responseStreams().send(action.getRequest(), new PageBody(records, view, binary), ClientInput.clientId(action), what);
        } catch (IOException ex) {
            LOG.debug("Dataset '{}': change feed client went away before the page after version {}: {}", log.dataset(), after, ex.toString());
        }
    }

    private static void setVersionHeaders(HttpServletResponse resp, ChangeLog log) {
        resp.setHeader(HDR_HEAD, String.valueOf(log.publishedVersion()));
        resp.setHeader(HDR_OLDEST, String.valueOf(log.firstVersion()));
        resp.setHeader(HDR_EPOCH, String.valueOf(log.epoch()));
    }

    // ---- Live tail (Server-Sent Events)

    /** Start the stream and return: the stream is written by the feed's own threads, without blocking. */
    private static void tail(HttpAction action, DatasetRuntime runtime, ReaderView view, long after) {
        ChangeLog log = runtime.log();
        FeedStreams streams = runtime.feedStreams();
        FeedStreams.Admitted admitted;
        try {
            admitted = streams.admit(ClientInput.clientId(action), after, view);
        } catch (FeedStreams.Refused ex) {
            action.setResponseHeader("Retry-After", String.valueOf(ex.retryAfterSeconds));
            ServletOps.error(ex.status, ex.getMessage());
            return;
        }
        try {
            HttpServletResponse resp = action.getResponse();
            setVersionHeaders(resp, log);
            resp.setContentType(EVENT_STREAM);
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Cache-Control", "no-cache");
            resp.setHeader("X-Accel-Buffering", "no");
            action.setResponseStatus(HttpSC.OK_200);
        } catch (RuntimeException ex) {
            streams.cancel(admitted, "could not start: " + ex);
            throw ex;
        }
        try {
            streams.start(admitted, action.getRequest());
        } catch (IOException ex) {
            LOG.debug("Dataset '{}': live change feed client went away at start: {}", log.dataset(), ex.toString());
        }
    }

    // ---- Parameters

    private static String negotiate(HttpAction action) {
        String accept = action.getRequest().getHeader("Accept");
        if ( accept == null || accept.isBlank() )
            return WebContent.contentTypePatch;
        MediaType mt = AcceptList.match(AcceptList.create(accept), OFFERS);
        if ( mt == null ) {
            if ( accept.contains("*/*") || accept.contains("text/plain") )
                return WebContent.contentTypePatch;
            ServletOps.error(HttpSC.NOT_ACCEPTABLE_406, "The change feed offers " + WebContent.contentTypePatch + ", "
                             + WebContent.contentTypePatchThrift + " and " + EVENT_STREAM + "; the request's Accept header allows only "
                             + ClientInput.quote(accept));
        }
        return mt.getContentTypeStr();
    }

    private static long afterParam(HttpAction action) {
        String s = action.getRequestParameter("after");
        return s == null ? 0 : parseVersion(s, "after parameter");
    }

    private static long parseVersion(String s, String what) {
        try {
            long v = Long.parseLong(s.trim());
            if ( v >= 0 )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The " + what + " must be a version number (a whole number, 0 or more, such as the id of the last"
                                   + " event received), got " + ClientInput.quote(s));
        return -1;
    }

    private static int limitParam(HttpAction action) {
        String s = action.getRequestParameter("limit");
        if ( s == null )
            return DEFAULT_LIMIT;
        try {
            int v = Integer.parseInt(s.trim());
            if ( v >= 1 && v <= MAX_LIMIT )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The limit parameter must be a whole number from 1 to " + MAX_LIMIT + ", got " + ClientInput.quote(s));
        return -1;
    }

    private static void checkNotAhead(ChangeLog log, long after) {
        long head = log.publishedVersion();
        if ( after > head )
            ServletOps.errorBadRequest("Version " + after + " is newer than the newest version of dataset '" + log.dataset() + "' (" + head
                                       + "). Is the client following another server, or was the log replaced? Read from after=" + head + " or earlier.");
    }
}
