-- Generated from sql/denials.sql by `python -m recommender.sources.sql`.
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
    CASE
      WHEN NOT NULLIF(useridentity.sessioncontext.sessionissuer.arn, '') IS NULL
      THEN useridentity.sessioncontext.sessionissuer.arn
      WHEN useridentity.arn LIKE 'arn:%:sts::%:assumed-role/%'
      THEN 'arn:' || SPLIT_PART(useridentity.arn, ':', 2) || ':iam::' || SPLIT_PART(useridentity.arn, ':', 5) || ':role/' || SPLIT_PART(SPLIT_PART(useridentity.arn, ':', 6), '/', 2)
      ELSE NULLIF(useridentity.arn, '')
    END AS principal,
    NULLIF(
      LOWER(
        REGEXP_EXTRACT(
          errormessage,
          '(?i)(?:deny in an?|because no) ((?:[a-z-]+ ){0,2}?(?:policy|boundary))',
          1
        )
      ),
      ''
    ) AS policy_type
  FROM cloudtrail
  WHERE
    "timestamp" >= $start_day
    AND "timestamp" < $end_day
    AND eventtime >= $start_time
    AND eventtime < $end_time
    AND (
      LENGTH(CAST($accounts AS TEXT[])) = 0
      OR LIST_CONTAINS(CAST($accounts AS TEXT[]), account_id)
    )
    AND (
      LENGTH(CAST($regions AS TEXT[])) = 0
      OR LIST_CONTAINS(CAST($regions AS TEXT[]), region)
    )
    AND NOT errorcode IS NULL
    AND REGEXP_MATCHES(
      LOWER(errorcode),
      'accessdenied|unauthorized|forbidden|^authorizationerror|^notauthorized'
    )
    AND NOT LIST_CONTAINS(CAST($excluded_agents AS TEXT[]), COALESCE(LOWER(useragent), ''))
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
  COALESCE(
    ARRAY_SLICE(
      LIST_SORT(ARRAY_AGG(DISTINCT principal) FILTER(WHERE
        NOT principal IS NULL)),
      1,
      $principals_limit
    ),
    []
  ) AS principals,
  MIN(eventtime) AS first_seen,
  MAX(eventtime) AS last_seen,
  COALESCE(
    ARG_MIN(eventid, eventtime, $event_ids_limit) FILTER(WHERE
      NOT eventid IS NULL),
    []
  ) AS event_ids
FROM events
GROUP BY
  eventsource,
  eventname,
  awsregion,
  caller_account,
  errorcode,
  policy_type
ORDER BY
  "count" DESC,
  event_source,
  event_name,
  region,
  account_id,
  error_code,
  policy_type
