-- Airflow keeps its metadata in its own database of the postgres resource.
CREATE DATABASE airflow;
