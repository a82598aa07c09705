print("swiftgrad")
