#!/bin/sh
exec /opt/app/bin/app
