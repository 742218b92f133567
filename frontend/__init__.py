# Static browser app (ES modules, no build step); a package only so it ships inside the wheel.
