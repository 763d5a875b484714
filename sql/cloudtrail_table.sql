-- The Glue table over the CloudTrail bucket, for Athena (`scp-recommender athena-setup`; the
-- templates in deploy/ are generated from it: python -m recommender.deploy).
--
-- Partition projection: no crawler and no MSCK REPAIR; Athena computes the S3 prefixes from the
-- query's WHERE clause. `account_id` and `region` are injected, so every query must list them
-- (sql/denials.sql does); `timestamp` is the day folder, yyyy/MM/dd.
--
-- The {{...}} placeholders are filled by recommender.sources.athena.table_ddl from validated
-- settings only (identifier and S3 syntax checked; never raw user text):
--   {{database}}, {{table}}  Glue names
--   {{location}}             s3://bucket[/prefix]/AWSLogs/[<org-id>/]
--   {{location_template}}    {{location}}${account_id}/CloudTrail/${region}/${timestamp}
--                            organization trail: .../AWSLogs/<org-id>/<account>/CloudTrail/...
--                            single account:     .../AWSLogs/<account>/CloudTrail/...
--   {{first_day}}            the first day the projection may name, yyyy/MM/dd
--
-- Columns follow the CloudTrail record contents (2026), all lower case as Glue stores them.
CREATE EXTERNAL TABLE IF NOT EXISTS `{{database}}`.`{{table}}` (
    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        credentialid: STRING,
        onbehalfof: STRUCT<
            userid: STRING,
            identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            sourceidentity: STRING,
            ec2roledelivery: STRING,
            assumedroot: STRING,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: MAP<STRING, STRING>>>>,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    managementevent STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
        reason: STRING,
        updatedfields: STRING,
        originalrequestid: STRING,
        originaleventid: STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
        tlsversion: STRING,
        ciphersuite: STRING,
        clientprovidedhostheader: STRING>
)
COMMENT 'CloudTrail management events, for scp-recommender (athena-setup or deploy/)'
PARTITIONED BY (
    account_id STRING,
    region STRING,
    `timestamp` STRING
)
ROW FORMAT SERDE 'com.amazon.emr.hive.serde.CloudTrailSerde'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{{location}}'
TBLPROPERTIES (
    'classification' = 'cloudtrail',
    'projection.enabled' = 'true',
    'projection.account_id.type' = 'injected',
    'projection.region.type' = 'injected',
    'projection.timestamp.type' = 'date',
    'projection.timestamp.format' = 'yyyy/MM/dd',
    'projection.timestamp.interval' = '1',
    'projection.timestamp.interval.unit' = 'DAYS',
    'projection.timestamp.range' = '{{first_day}},NOW',
    'storage.location.template' = '{{location_template}}'
)
