SELECT count(*) FROM ops.zoho_dead_letters WHERE module = $module;
