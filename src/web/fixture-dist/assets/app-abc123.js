console.log("fixture asset");
