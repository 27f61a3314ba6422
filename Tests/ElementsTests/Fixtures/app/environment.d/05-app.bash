export APP_HOME=/opt/app
