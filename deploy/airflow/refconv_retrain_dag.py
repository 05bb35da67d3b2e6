"""Weekly RefConv retraining with Airflow's SparkSubmitOperator (apache-airflow-providers-apache-spark).

One Spark application per DAG run: the `pipeline` job (prepare -> pretrain if no basis -> refocus -> publish).
The run id is the DAG run's logical date, so an Airflow retry resumes the same run (finished stages are skipped,
training continues from its newest checkpoint). Exit codes (see conf/pipeline.conf): 0 promoted; 6 published but
the gate kept the previous LATEST (the task fails so that someone looks; the version is kept); 2-5 are not
retryable; 1 is.

The `spark_default` connection gives the master (yarn, k8s://..., spark://...). REFCONV_HOME is where this
repository (conf/) and jobs/target/jobs-*-spark.jar are on the Airflow worker.
Not run here: no Airflow installation was available to this project.
"""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

REFCONV_HOME = os.environ.get("REFCONV_HOME", "/opt/refconv")

with DAG(
    dag_id="refconv_retrain",
    schedule="0 2 * * 0",  # Sundays 02:00
    start_date=datetime(2026, 1, 4),
    catchup=False,
    max_active_runs=1,  # runs share the registry's LATEST
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["refconv"],
) as dag:
    SparkSubmitOperator(
        task_id="pipeline",
        conn_id="spark_default",
        application=f"{REFCONV_HOME}/jobs/target/jobs-0.1.0-SNAPSHOT-spark.jar",
        java_class="org.refconv.retrain.PipelineJob",
        name="refconv-pipeline-{{ ds_nodash }}",
        properties_file=f"{REFCONV_HOME}/conf/spark-yarn.conf",
        files=f"{REFCONV_HOME}/conf/pipeline.conf,{REFCONV_HOME}/conf/log4j2.properties",
        application_args=["--config", "pipeline.conf", "--runId", "{{ ds_nodash }}"],
        env_vars={"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "4"},
        execution_timeout=timedelta(days=3),
    )
