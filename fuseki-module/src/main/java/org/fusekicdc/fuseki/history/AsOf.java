package org.fusekicdc.fuseki.history;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.history.VersionAtTime;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;

/**
 * What an as-of read asks for and how it is answered: the {@code version} request parameter, or
 * the {@code Accept-Datetime} header (RFC 7089: the last version committed at or before that
 * time); the answer names the version in {@code X-CDC-Version} and its commit time in
 * {@code Memento-Datetime}. A version older than retention reaches gets 410 with the oldest
 * reachable one; a malformed or future one 400, each naming the fix.
 */
public final class AsOf {
    private AsOf() {}

    public static final String PARAM_VERSION = "version";
    public static final String ACCEPT_DATETIME = "Accept-Datetime";
    public static final String MEMENTO_DATETIME = "Memento-Datetime";
    public static final String HDR_VERSION = "X-CDC-Version";
    public static final String HDR_OLDEST = "X-CDC-Oldest-Version";
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    /** Whether the request asks for an earlier state. */
    public static boolean requested(HttpAction action) {
        return action.getRequestParameter(PARAM_VERSION) != null || action.getRequestHeader(ACCEPT_DATETIME) != null;
    }

    /** The version an as-of read is answered at, and its commit time when the log still knows it. */
    public record Target(long version, Instant committed) {}

    /**
     * Why an as-of read cannot be answered: the HTTP status (400 for a version after the newest,
     * 410 beyond retention, 503 for an undo too large), a message naming the fix, and for 410 the
     * oldest reachable version (else -1).
     */
    public static final class Refused extends RuntimeException {
        private final int status;
        private final long oldest;

        Refused(int status, String message, long oldest) {
            super(message, null, false, false);
            this.status = status;
            this.oldest = oldest;
        }

        public int status() {
            return status;
        }

        public long oldest() {
            return oldest;
        }
    }

    /**
     * Begin the read the request asks for, on this thread, and set the answer's version headers;
     * on a bad request, the error response (the call does not return).
     */
    public static AsOfRead open(HttpAction action, DatasetRuntime runtime) {
        Target target = requestedTarget(action, runtime);
        try {
            AsOfRead read = begin(runtime, target);
            nameVersion(action, target);
            return read;
        } catch (Refused ex) {
            refuse(action, ex);
            return null;
        }
    }

    /**
     * The version the request asks for ({@code version=N} or {@code Accept-Datetime}); on a bad
     * request, the error response (the call does not return).
     */
    public static Target requestedTarget(HttpAction action, DatasetRuntime runtime) {
        String versionParam = action.getRequestParameter(PARAM_VERSION);
        String datetime = action.getRequestHeader(ACCEPT_DATETIME);
        if ( versionParam != null && datetime != null )
            ServletOps.errorBadRequest("Give either the version parameter or the Accept-Datetime header, not both: version=" + ClientInput.quote(versionParam)
                                       + ", Accept-Datetime: " + ClientInput.quote(datetime));
        if ( datetime != null )
            action.setResponseHeader("Vary", ACCEPT_DATETIME);
        try {
            return versionParam != null ? target(runtime, parseVersion(versionParam), null) : target(runtime, null, httpDate(datetime));
        } catch (Refused ex) {
            refuse(action, ex);
            return null;
        }
    }

    /** Name the version an answer is given at: {@value #HDR_VERSION}, and {@value #MEMENTO_DATETIME} when its commit time is known. */
    public static void nameVersion(HttpAction action, Target target) {
        action.setResponseHeader(HDR_VERSION, String.valueOf(target.version()));
        if ( target.committed() != null )
            action.setResponseHeader(MEMENTO_DATETIME, HTTP_DATE.format(target.committed()));
    }

    private static void refuse(HttpAction action, Refused ex) {
        if ( ex.oldest() >= 0 )
            action.setResponseHeader(HDR_OLDEST, String.valueOf(ex.oldest()));
        ServletOps.error(ex.status(), ex.getMessage());
    }

    /**
     * The version asked for, either as a number or as a time (the last version committed at or
     * before it): exactly one of {@code version} and {@code time} is given.
     *
     * @throws Refused for a version after the newest (400) or before the oldest reachable (410)
     */
    public static Target target(DatasetRuntime runtime, Long version, Instant time) {
        ChangeLog log = runtime.log();
        long v;
        Instant committed = null;
        if ( version != null ) {
            v = version;
            long head = log.publishedVersion();
            if ( v > head )
                throw new Refused(HttpSC.BAD_REQUEST_400, "Version " + v + " is newer than the newest version of dataset '" + runtime.name() + "' ("
                                                          + head + "). Ask for version=" + head + " or older, or leave out version for the current state.", -1);
        } else {
            VersionAtTime.Found found = VersionAtTime.at(log, time);
            if ( found == null ) {
                Instant oldestTime = VersionAtTime.commitTime(log, log.firstVersion());
                throw new Refused(HttpSC.GONE_410, "Dataset '" + runtime.name() + "' at " + HTTP_DATE.format(time) + ": the oldest change retention keeps is version "
                                                   + log.firstVersion() + ", committed " + HTTP_DATE.format(oldestTime)
                                                   + ", and what came before is no longer known. Ask for Accept-Datetime: " + HTTP_DATE.format(oldestTime)
                                                   + " or later (see docs/history.md).", AsOfRead.oldestReachable(log));
            }
            v = found.version();
            committed = found.committed();
        }
        long oldest = AsOfRead.oldestReachable(log);
        if ( v < oldest )
            throw new Refused(HttpSC.GONE_410, goneMessage(runtime, v, oldest), oldest);
        if ( committed == null && v >= log.firstVersion() )
            committed = VersionAtTime.commitTime(log, v);
        return new Target(v, committed);
    }

    /**
     * Begin a read of the dataset as of {@code target}, on this thread.
     *
     * @throws Refused when retention removed the version meanwhile (410) or the undo would hold too much (503)
     */
    public static AsOfRead begin(DatasetRuntime runtime, Target target) {
        try {
            return AsOfRead.begin(runtime.dataset(), target.version(), AsOfRead.DEFAULT_MAX_CHANGED_QUADS, runtime.historySnapshots());
        } catch (VersionGoneException ex) {
            throw new Refused(HttpSC.GONE_410, goneMessage(runtime, target.version(), ex.oldestAvailable()), ex.oldestAvailable());
        } catch (NetChange.TooManyChanges ex) {
            throw new Refused(HttpSC.SERVICE_UNAVAILABLE_503, ex.getMessage(), -1);
        }
    }

    private static String goneMessage(DatasetRuntime runtime, long version, long oldest) {
        return "Dataset '" + runtime.name() + "': version " + version + " is older than retention keeps: the oldest version reachable is " + oldest
               + ". Ask for version=" + oldest + " or newer; to reach further back, keep more of the change log (cdc:retainVersions, cdc:retainAge,"
               + " cdc:retainBytes; see docs/history.md).";
    }

    /** A version number; 400 naming the form otherwise. */
    public static long parseVersion(String s) {
        try {
            long v = Long.parseLong(s.trim());
            if ( v >= 0 )
                return v;
        } catch (NumberFormatException ex) {
            // Reported below.
        }
        ServletOps.errorBadRequest("The version parameter must be a version number (a whole number, 0 or more, as the change feed and X-CDC-Version"
                                   + " give them), got " + ClientInput.quote(s) + ". Leave it out for the current state.");
        return -1;
    }

    /**
     * An HTTP date (RFC 7089's Accept-Datetime form).
     *
     * @throws Refused (400) naming the form when it is not one
     */
    public static Instant httpDate(String s) {
        try {
            return Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(s.trim()));
        } catch (DateTimeParseException ex) {
            throw new Refused(HttpSC.BAD_REQUEST_400, "The time must be an HTTP date (RFC 7089's Accept-Datetime), such as \"" + HTTP_DATE.format(Instant.now())
                                                      + "\", got " + ClientInput.quote(s) + ". Leave it out for the current state.", -1);
        }
    }
}
