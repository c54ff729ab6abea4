-- The databases of the postgres resource (Aspire creates them itself when it runs the containers).
CREATE DATABASE "cryptoetl";
CREATE DATABASE "airflow";
