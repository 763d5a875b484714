-- Denied API calls in CloudTrail, grouped for the classifier (Athena / Trino dialect).
--
-- This text is the single source of truth for "what is a denial" and how rows are grouped.
-- Athena runs it as written; the local engine runs it translated to DuckDB by sqlglot.
-- recommender/sources/sql.py fills the markers below through the sqlglot syntax tree, never by
-- string formatting:
--   cloudtrail_logs__        the CloudTrail table (database-qualified for Athena)
--   start_day__, end_day__   bound parameters, 'yyyy/MM/dd', the partition window
--   start_time__, end_time__ bound parameters, ISO 8601 instants, the event-time window
--   accounts__, regions__    literal lists (partition projection needs literals); a filter with
--                            an empty list is dropped
--   excluded_agents__        literal list of user agents to leave out (lower case)
--   principals_limit__, event_ids_limit__  integer literals: sample sizes per group
--
-- The window is [start, end) on eventtime, so consecutive runs never count an event twice. The
-- partition window ends one day later than the event window: CloudTrail files are filed under
-- the day they were delivered, so the last minutes of the end day arrive in the next day's folder.
WITH events AS (
    SELECT
        eventsource,
        eventname,
        awsregion,
        COALESCE(NULLIF(useridentity.accountid, ''), recipientaccountid) AS caller_account,
        errorcode,
        errormessage,
        eventid,
        eventtime,
        -- Roles, not sessions: the issuer's ARN, or the assumed-role ARN rewritten to its role.
        CASE
            WHEN NULLIF(useridentity.sessioncontext.sessionissuer.arn, '') IS NOT NULL
                THEN useridentity.sessioncontext.sessionissuer.arn
            WHEN useridentity.arn LIKE 'arn:%:sts::%:assumed-role/%'
                THEN 'arn:' || split_part(useridentity.arn, ':', 2) || ':iam::'
                    || split_part(useridentity.arn, ':', 5) || ':role/'
                    || split_part(split_part(useridentity.arn, ':', 6), '/', 2)
            ELSE NULLIF(useridentity.arn, '')
        END AS principal,
        -- "... with an explicit deny in a service control policy", "because no identity-based
        -- policy allows ...", "... in a permissions boundary": the policy type that denied.
        NULLIF(
            lower(
                regexp_extract(
                    errormessage,
                    '(?i)(?:deny in an?|because no) ((?:[a-z-]+ ){0,2}?(?:policy|boundary))',
                    1
                )
            ),
            ''
        ) AS policy_type
    FROM cloudtrail_logs__
    WHERE "timestamp" >= start_day__
        AND "timestamp" < end_day__
        AND eventtime >= start_time__
        AND eventtime < end_time__
        AND account_id IN (accounts__)
        AND region IN (regions__)
        -- Denials, in any letter case: AccessDenied* (and VpceAccessDenied, Client.AccessDenied...),
        -- *UnauthorizedOperation and *Unauthorized*, *Forbidden*, AuthorizationError*,
        -- NotAuthorized*. Throttling, missing entities and other errors are not denials.
        AND errorcode IS NOT NULL
        AND regexp_like(
            lower(errorcode),
            'accessdenied|unauthorized|forbidden|^authorizationerror|^notauthorized'
        )
        -- A NULL user agent is not an excluded one.
        AND COALESCE(lower(useragent), '') NOT IN (excluded_agents__)
)
SELECT
    eventsource AS event_source,
    eventname AS event_name,
    COUNT(*) AS "count",
    awsregion AS region,
    caller_account AS account_id,
    errorcode AS error_code,
    MIN(errormessage) AS error_message,
    policy_type,
    -- Empty lists, never NULL, when no principal or event ID was recorded.
    COALESCE(
        slice(
            array_sort(array_agg(DISTINCT principal) FILTER (WHERE principal IS NOT NULL)),
            1,
            principals_limit__
        ),
        ARRAY[]
    ) AS principals,
    MIN(eventtime) AS first_seen,
    MAX(eventtime) AS last_seen,
    COALESCE(
        min_by(eventid, eventtime, event_ids_limit__) FILTER (WHERE eventid IS NOT NULL),
        ARRAY[]
    ) AS event_ids
FROM events
GROUP BY eventsource, eventname, awsregion, caller_account, errorcode, policy_type
ORDER BY "count" DESC, event_source, event_name, region, account_id, error_code, policy_type
